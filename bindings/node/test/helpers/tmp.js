'use strict'
// Temporary directories for tests, removed when the test process exits (after every
// `t.after(() => log.close())` hook has run, whatever order hooks run in).
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const made = []
process.on('exit', () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
})

/** A path for a new log, `<fresh empty dir>/log`. */
function tmpLogDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'segmentlog-node-'))
  made.push(dir)
  return path.join(dir, 'log')
}

module.exports = { tmpLogDir }
