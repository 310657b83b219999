'use strict'
// Cross-language fixture: a log written by Rust (core's `xlang` example) is read from Node, and
// one written from Node is checked by Rust. `make test-node` sets SEGMENTLOG_XLANG to the built
// example; without it the Rust half is skipped (the Node half still runs).
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const { execFileSync, spawnSync } = require('node:child_process')
const xlang = require('./helpers/xlang.js')
const { tmpLogDir } = require('./helpers/tmp.js')

const N = 1000
const rust = process.env.SEGMENTLOG_XLANG
const skipRust = !rust || !fs.existsSync(rust) ? 'SEGMENTLOG_XLANG (core xlang example) not set' : false

test('Node writes the fixture and reads it back', () => {
  const dir = tmpLogDir()
  xlang.write(dir, N)
  xlang.check(dir, N)
  assert.throws(() => xlang.check(dir, N + 1))
})

test('a log written by Rust reads correctly from Node', { skip: skipRust }, () => {
  const dir = tmpLogDir()
  execFileSync(rust, ['write', dir, String(N)])
  xlang.check(dir, N)
})

test('a log written by Node passes the Rust check', { skip: skipRust }, () => {
  const dir = tmpLogDir()
  xlang.write(dir, N)
  const ok = spawnSync(rust, ['check', dir, String(N)], { encoding: 'utf8' })
  assert.equal(ok.status, 0, ok.stderr)
  // The check is real: a different count fails.
  const bad = spawnSync(rust, ['check', dir, String(N - 1)], { encoding: 'utf8' })
  assert.notEqual(bad.status, 0)
})
