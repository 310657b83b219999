'use strict'
// The cross-language bad-input table (tests/bad-input/cases.tsv): the same bad input gives the
// same error kind in C, Python and Node. Here each kind is the `err.code` of docs/API.md;
// OUT_OF_RANGE is also a RangeError (as Python's is an IndexError), TYPE a TypeError.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { Log } = require('..')
const { tmpLogDir } = require('./helpers/tmp.js')

const TABLE = path.join(__dirname, '..', '..', '..', 'tests', 'bad-input', 'cases.tsv')

const cases = fs
  .readFileSync(TABLE, 'utf8')
  .split('\n')
  .filter((line) => line.trim() && !line.startsWith('#'))
  .map((line) => {
    const [name, setup, op, arg, kind, langs] = line.split('\t')
    return { name, setup, op, arg, kind, langs: langs.split(',') }
  })
  .filter((c) => c.langs.includes('node'))

const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase())
const METHODS = {
  read: 'read',
  truncate_back: 'truncateBack',
  truncate_front: 'truncateFront',
  append: 'append',
  offset_at_time: 'offsetAtTime',
}

function value (text) {
  if (text.startsWith('b"')) return Buffer.from(text.slice(2, -1))
  if (text.startsWith('"')) return text.slice(1, -1)
  if (text === 'true' || text === 'false') return text === 'true'
  return Number(text)
}

function checkKind (err, kind) {
  assert.ok(err instanceof Error, `not an Error: ${err}`)
  if (kind === 'TYPE') {
    assert.ok(err instanceof TypeError, `${err.code}: ${err.message} is not a TypeError`)
    assert.equal(err.code, 'ERR_INVALID_ARG_TYPE')
    return
  }
  assert.equal(err.code, `ERR_SEGMENTLOG_${kind}`, err.message)
  if (kind === 'OUT_OF_RANGE') assert.ok(err instanceof RangeError, 'not a RangeError')
}

test('the table has cases for Node', () => {
  assert.ok(cases.length >= 30, `${cases.length} cases`)
})

for (const c of cases) {
  test(`bad input: ${c.name}`, async (t) => {
    const dir = tmpLogDir(t)
    const opened = []
    const open = (options) => {
      const log = Log.open(dir, options)
      opened.push(log)
      return log
    }
    let log
    if (c.setup !== 'none') {
      log = open()
      for (const v of ['a', 'b', 'c']) log.append(Buffer.from(v))
      if (c.setup === 'closed' || c.setup === 'read_only') log.close()
      if (c.setup === 'read_only') log = open({ readOnly: true })
    }
    let call
    if (c.op === 'open') {
      const [name, text] = c.arg.split('=')
      call = () => open({ [camel(name)]: value(text) })
    } else if (c.op === 'read_many') {
      call = () => log.readMany(c.arg.split(',').map(value))
    } else if (c.op === 'iter') {
      call = () => log.iter({ from: value(c.arg) }).next()
    } else {
      call = () => log[METHODS[c.op]](value(c.arg))
    }
    try {
      let err
      try {
        await call()
      } catch (e) {
        err = e
      }
      if (c.kind === 'OK') assert.equal(err, undefined, err && err.message)
      else checkKind(err, c.kind)
    } finally {
      for (const l of opened) l.close()
    }
  })
}
