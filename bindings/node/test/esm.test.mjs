// The ESM entry exports the same classes as the CommonJS one.
import test from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import segmentlog, { Log, Cursor, LogIterator } from '../index.mjs'

const require = createRequire(import.meta.url)

test('named and default ESM exports are the CommonJS ones', () => {
  const cjs = require('../index.js')
  assert.equal(Log, cjs.Log)
  assert.equal(Cursor, cjs.Cursor)
  assert.equal(LogIterator, cjs.LogIterator)
  assert.equal(segmentlog, cjs)
})

test('a log used through the ESM entry', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'segmentlog-esm-'))
  try {
    const log = Log.open(path.join(dir, 'log'))
    log.append(Buffer.from('esm'))
    const values = []
    for await (const rec of log.iter()) values.push(rec.value.toString())
    assert.deepEqual(values, ['esm'])
    log.close()
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
