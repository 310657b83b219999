'use strict'
// Loads the native addon built by `napi build --platform` and adds `Log.prototype.iter`, the
// async iterator over records (see iter.js). Everything else is native (src/*.rs).

const fs = require('node:fs')
const path = require('node:path')
const { LogIterator } = require('./iter.js')

function isMusl() {
  // glibc reports its version in the process report; musl does not.
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null
  return !(report && report.header && report.header.glibcVersionRuntime)
}

function nativeFileName() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const gnu = `commitlog.linux-${arch}-gnu.node`
    const musl = `commitlog.linux-${arch}-musl.node`
    const have = (f) => fs.existsSync(path.join(__dirname, f))
    // Only one of them is usually shipped: skip the (slow) libc detection then.
    if (have(gnu) !== have(musl)) return have(gnu) ? gnu : musl
    return isMusl() ? musl : gnu
  }
  return `commitlog.${platform}-${arch}.node`
}

function loadNative() {
  const file = nativeFileName()
  try {
    return require(`./${file}`)
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(file)) {
      const e = new Error(
        `commitlog: no native addon ${file} for this platform in ${__dirname}; ` +
          'build it with `npm run build` (needs a Rust toolchain)',
      )
      e.code = 'ERR_COMMITLOG_NO_ADDON'
      e.cause = err
      throw e
    }
    throw err
  }
}

const native = loadNative()
const { Log, Cursor } = native

/**
 * Reads the log in offset order from `options.from` (default: the lowest offset). With
 * `options.live` the iterator waits for records appended later instead of ending, until
 * `break`, `return()` or `close()`.
 */
Log.prototype.iter = function iter(options) {
  if (options === undefined || options === null) options = {}
  if (typeof options !== 'object' || Array.isArray(options)) {
    const e = new TypeError(`options must be an object (got ${typeof options})`)
    e.code = 'ERR_INVALID_ARG_TYPE'
    throw e
  }
  const { from, live = false } = options
  if (typeof live !== 'boolean') {
    const e = new TypeError(`options.live must be a boolean (got ${typeof live})`)
    e.code = 'ERR_INVALID_ARG_TYPE'
    throw e
  }
  return new LogIterator(this.cursor(from), live)
}

// `read` fills pooled memory (as `Buffer.allocUnsafe` does for small buffers): allocating one
// Buffer per read costs more than the read itself. A value is a view of a 64 KiB slab (the
// slab lives while any of its values does); values over 8 KiB get a Buffer of their own.
const SLAB_BYTES = 64 * 1024
const OWN_BUFFER_BYTES = 8 * 1024
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
let slabUsed = 0

Log.prototype.read = function read(offset) {
  let n = this.readInto(offset, slab, slabUsed)
  if (n < 0) {
    const len = -n - 1
    if (len > OWN_BUFFER_BYTES) {
      const own = Buffer.allocUnsafeSlow(len)
      n = this.readInto(offset, own, 0)
      if (n < 0) return this.readRecord(offset).value // it changed between the two reads
      return own.subarray(0, n)
    }
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
    slabUsed = 0
    n = this.readInto(offset, slab, 0)
    if (n < 0) return this.readRecord(offset).value
  }
  const value = slab.subarray(slabUsed, slabUsed + n)
  slabUsed = (slabUsed + n + 7) & ~7 // keep views 8-byte aligned, like Node's pool
  return value
}

module.exports = { Log, Cursor, LogIterator }
