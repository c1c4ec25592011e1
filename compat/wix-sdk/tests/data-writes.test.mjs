// @wix/data `items` writes beyond insert/update/remove, with the unmodified package: save, patch
// (the builder), bulkInsert / bulkUpdate / bulkSave / bulkRemove / bulkPatch with their per-item
// results (the package turns `results` into {inserted, updated, skipped, errors, ...ItemIds}),
// and truncate. What the package sends: POST /wix-data/v2/items/save, .../items/patch,
// .../items/truncate, .../bulk/items/{insert,update,save,remove,patch}.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { items } from '@wix/data';
import { requestMark, requestsSince } from '../lib/server.mjs';
import { dataWorld, lastStatus, rejectsWithCode } from '../lib/data-clients.mjs';

const HOST = 'edge.wixapis.com/wix-data/v2';
let world;
let owner;
let visitor;
let ada;
let grace;

before(async () => {
  world = await dataWorld();
  await world.collection('Shelf', { insert: 'SITE_MEMBER', update: 'SITE_MEMBER_AUTHOR', remove: 'SITE_MEMBER_AUTHOR' });
  await world.collection('Stock', { insert: 'ADMIN', update: 'ADMIN', remove: 'ADMIN' });
  owner = world.owner({ items });
  visitor = await world.visitor({ items });
  ada = await world.member({ items }, { email: 'ada@example.com', password: 'correct horse battery' });
  grace = await world.member({ items }, { email: 'grace@example.com', password: 'another good password' });
});
after(async () => { await world?.server.stop(); });

test('save inserts, then replaces; a visitor may not save into a members-only collection', async () => {
  const mark = requestMark();
  const first = await ada.items.save('Shelf', { _id: 'book-1', title: 'Dune', pages: 412 });
  assert.deepEqual(requestsSince(mark), [`POST ${HOST}/items/save`]);
  assert.equal(first.title, 'Dune');
  assert.ok(first._createdDate instanceof Date);
  const second = await ada.items.save('Shelf', { _id: 'book-1', title: 'Dune Messiah' });
  assert.equal(second.title, 'Dune Messiah');
  assert.equal(second.pages, undefined, 'save replaces the whole item');
  await rejectsWithCode(grace.items.save('Shelf', { _id: 'book-1', title: 'mine now' }), { code: 'WDE0027', status: 403 });
  await rejectsWithCode(visitor.items.save('Shelf', { title: 'x' }), { code: 'WDE0027', status: 403 });
});

test('patch: set, increment, append, remove from an array, remove a field (the builder)', async () => {
  await ada.items.insert('Shelf', { _id: 'book-2', title: 'Emma', reads: 1, tags: ['a', 'b'], note: 'x' });
  const mark = requestMark();
  const patched = await ada.items.patch('Shelf', 'book-2')
    .setField('title', 'Emma (1815)').incrementField('reads', 2).appendToArray('tags', 'c').removeFromArray('tags', 'a')
    .removeField('note').run();
  assert.deepEqual(requestsSince(mark), [`POST ${HOST}/items/patch`]);
  assert.equal(patched.title, 'Emma (1815)');
  assert.equal(patched.reads, 3);
  assert.deepEqual(patched.tags, ['b', 'c']);
  assert.equal(patched.note, undefined);
  await rejectsWithCode(grace.items.patch('Shelf', 'book-2').incrementField('reads', 1).run(), { code: 'WDE0027', status: 403 });
  const error = await ada.items.patch('Shelf', 'book-2').incrementField('title', 1).run().catch((e) => e);
  assert.equal(error.constructor.name, 'WixDataValidationError', String(error));
  assert.equal(lastStatus(), 400);
});

test('bulkInsert / bulkUpdate / bulkSave / bulkRemove / bulkPatch: one bad item fails only itself', async () => {
  let mark = requestMark();
  const inserted = await owner.items.bulkInsert('Stock', [{ _id: 's1', n: 1 }, { _id: 's2', n: 2 }, { _id: 's3', n: 3 }]);
  assert.deepEqual(requestsSince(mark), [`POST www.wixapis.com/wix-data/v2/bulk/items/insert`]);
  assert.equal(inserted.inserted, 3);
  assert.deepEqual(inserted.insertedItemIds, ['s1', 's2', 's3']);

  const again = await owner.items.bulkInsert('Stock', [{ _id: 's1', n: 9 }, { _id: 's4', n: 4 }, { _id: 'bad id', n: 0 }]);
  assert.equal(again.inserted, 1);
  assert.equal(again.skipped, 1, 'an existing _id (WDE0074) is skipped by bulkInsert, as the package counts it');
  assert.equal(again.errors.length, 1);
  assert.equal(again.errors[0].originalIndex, 2);
  assert.equal(again.errors[0].item._id, 'bad id');

  const updated = await owner.items.bulkUpdate('Stock', [{ _id: 's1', n: 10 }, { _id: 'gone', n: 0 }]);
  assert.equal(updated.updated, 1);
  assert.equal(updated.skipped, 1, 'a missing item (WDE0073) is skipped');
  assert.deepEqual(updated.updatedItemIds, ['s1']);

  const saved = await owner.items.bulkSave('Stock', [{ _id: 's2', n: 20 }, { _id: 's5', n: 5 }]);
  assert.equal(saved.inserted, 1);
  assert.equal(saved.updated, 1);

  const patched = await owner.items.bulkPatch('Stock', ['s3', 's4']).incrementField('n', 100).run();
  assert.equal(patched.updated, 2);

  mark = requestMark();
  const removed = await owner.items.bulkRemove('Stock', ['s4', 'gone']);
  assert.deepEqual(requestsSince(mark), [`POST www.wixapis.com/wix-data/v2/bulk/items/remove`]);
  assert.equal(removed.removed, 1);
  assert.equal(removed.skipped, 1);

  const left = await owner.items.query('Stock').ascending('_id').find();
  assert.deepEqual(left.items.map((i) => [i._id, i.n]), [['s1', 10], ['s2', 20], ['s3', 103], ['s5', 5]]);
  await rejectsWithCode(visitor.items.bulkInsert('Stock', [{ n: 1 }]), { code: 'WDE0027', status: 403 });
});

test('bulkUpdate by a member: her items change, another member\'s fail with WDE0027', async () => {
  await ada.items.insert('Shelf', { _id: 'ada-1', n: 1 });
  await grace.items.insert('Shelf', { _id: 'grace-1', n: 1 });
  const result = await ada.items.bulkUpdate('Shelf', [{ _id: 'ada-1', n: 2 }, { _id: 'grace-1', n: 2 }]);
  assert.equal(result.updated, 1);
  assert.equal(result.errors.length, 1);
  assert.equal(result.errors[0].code, 'WDE0027');
  assert.equal((await ada.items.get('Shelf', 'grace-1')).n, 1);
});

test('truncate: admins only', async () => {
  await rejectsWithCode(ada.items.truncate('Shelf'), { code: 'WDE0027', status: 403 });
  const mark = requestMark();
  await owner.items.truncate('Stock');
  assert.deepEqual(requestsSince(mark), [`POST www.wixapis.com/wix-data/v2/items/truncate`]);
  assert.equal((await owner.items.query('Stock').find()).totalCount, 0);
});
