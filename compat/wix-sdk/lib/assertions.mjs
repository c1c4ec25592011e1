import assert from 'node:assert/strict';

/**
 * Await `promise`, expect it to reject with the SDK's own SDKError carrying `status`, and return
 * the error. `code` (optional) is compared with details.applicationError.code.
 */
export async function rejectsWithSdkError(promise, { status, code, validation = false }) {
  let error;
  try {
    await promise;
  } catch (err) {
    error = err;
  }
  assert.ok(error, `expected an SDKError with status ${status}, but the call succeeded`);
  const shown = `${error?.constructor?.name}: ${error?.message}`;
  assert.equal(error.constructor?.name, 'SDKError', `expected an SDKError, got ${shown}`);
  assert.equal(error.status, status, `status ${error.status}, expected ${status}: ${shown}`);
  assert.ok(error.details, `SDKError without details: ${shown}`);
  if (validation) {
    assert.ok(error.details.validationError, `expected details.validationError: ${shown}`);
    assert.ok(Array.isArray(error.details.validationError.fieldViolations));
    assert.ok(error.details.validationError.fieldViolations.length > 0);
  }
  if (code !== undefined) {
    assert.ok(error.details.applicationError, `expected details.applicationError: ${shown}`);
    assert.equal(error.details.applicationError.code, code, shown);
  }
  return error;
}

export function assertIsOAuthApp(app) {
  assert.equal(typeof app, 'object');
  assert.equal(typeof app._id, 'string');
  assert.match(app._id, /^[0-9a-f-]{36}$/);
  assert.ok(app._createdDate instanceof Date, `_createdDate should be a Date, got ${typeof app._createdDate}`);
  assert.ok(!Number.isNaN(app._createdDate.getTime()));
  assert.equal(app.id, undefined, 'the SDK renames id to _id');
  assert.equal(app.createdDate, undefined, 'the SDK renames createdDate to _createdDate');
  // The 1.0.94 typings promise these are always present (docs/wire-protocol.md#the-oauth-app-object).
  assert.ok(Array.isArray(app.allowedRedirectUris));
  assert.ok(Array.isArray(app.allowedRedirectDomains));
  assert.ok(Array.isArray(app.wixPagesDomainsMappings));
  assert.equal(typeof app.applicationType, 'string');
  assert.equal(typeof app.technology, 'string');
}
