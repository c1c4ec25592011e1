// @wix/data queries beyond filters and paging, with the unmodified package: .hasSome() / .hasAll()
// (sent as {"$hasSome": [...]} / {"$hasAll": [...]}), .distinct(field) (POST
// /wix-data/v2/items/query-distinct-values) and aggregate().group().count().sum().avg().min().max()
// .filter().having().run() (POST .../items/aggregate), under the collection's read permission.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { items } from '@wix/data';
import { requestMark, requestsSince } from '../lib/server.mjs';
import { dataWorld, rejectsWithCode } from '../lib/data-clients.mjs';

const HOST = 'edge.wixapis.com/wix-data/v2';
let world;
let visitor;

before(async () => {
  world = await dataWorld();
  await world.collection('Cities', { insert: 'ADMIN', update: 'ADMIN', remove: 'ADMIN' });
  await world.collection('Private', { read: 'ADMIN', insert: 'ADMIN', update: 'ADMIN', remove: 'ADMIN' });
  const owner = world.owner({ items });
  await owner.items.bulkInsert('Cities', [
    { _id: 'c1', city: 'Buffalo', state: 'NY', year: 2000, population: 292000, tags: ['lake', 'snow'] },
    { _id: 'c2', city: 'Buffalo', state: 'NY', year: 2010, population: 261000, tags: ['lake'] },
    { _id: 'c3', city: 'Miami', state: 'FL', year: 2000, population: 362000, tags: ['beach', 'sun'] },
    { _id: 'c4', city: 'Miami', state: 'FL', year: 2010, population: 401000, tags: ['sun'] },
    { _id: 'c5', city: 'Orlando', state: 'FL', year: 2010, population: 240000, tags: [] },
  ]);
  visitor = await world.visitor({ items });
});
after(async () => { await world?.server.stop(); });

test('hasSome / hasAll on an array field', async () => {
  const some = await visitor.items.query('Cities').hasSome('tags', ['sun', 'snow']).ascending('_id').find();
  assert.deepEqual(some.items.map((i) => i._id), ['c1', 'c3', 'c4']);
  const all = await visitor.items.query('Cities').hasAll('tags', ['lake', 'snow']).find();
  assert.deepEqual(all.items.map((i) => i._id), ['c1']);
});

test('distinct(field), with a filter and an order', async () => {
  const mark = requestMark();
  const states = await visitor.items.query('Cities').distinct('state');
  assert.deepEqual(requestsSince(mark), [`POST ${HOST}/items/query-distinct-values`]);
  assert.deepEqual(states.items, ['FL', 'NY']);
  const cities = await visitor.items.query('Cities').eq('year', 2010).descending('city').distinct('city');
  assert.deepEqual(cities.items, ['Orlando', 'Miami', 'Buffalo']);
  await rejectsWithCode(visitor.items.query('Private').distinct('x'), { code: 'WDE0027', status: 403 });
});

test('aggregate: group, count, sum, avg, min, max, filter before and having after', async () => {
  const mark = requestMark();
  const result = await visitor.items.aggregate('Cities').group('state')
    .count().sum('population').avg('population').min('population').max('population').ascending('state').run();
  assert.deepEqual(requestsSince(mark), [`POST ${HOST}/items/aggregate`]);
  const fl = result.items[0];
  assert.equal(fl._id, 'FL', 'one grouping field: the package unwraps _id to its value');
  assert.equal(fl.count, 3);
  assert.equal(fl.populationSum, 1003000);
  assert.equal(Math.round(fl.populationAvg), 334333);
  assert.equal(fl.populationMin, 240000);
  assert.equal(fl.populationMax, 401000);
  assert.equal(result.items[1]._id, 'NY');

  const filtered = await visitor.items.aggregate('Cities')
    .filter(visitor.items.filter().eq('year', 2010)).group('state', 'year').sum('population', 'total')
    .having(visitor.items.filter().gt('total', 300000)).run();
  assert.deepEqual(filtered.items.map((r) => [r._id, r.total]), [[{ state: 'FL', year: 2010 }, 641000]]);
  await rejectsWithCode(visitor.items.aggregate('Private').count().run(), { code: 'WDE0027', status: 403 });
});
