'use strict'
// The async iterator returned by `log.iter()`, built on the native Cursor:
// `cursor.read(n)` hands over records already in the log without blocking, and
// `cursor.waitAsync(n)` waits off the main thread (no polling) for the next ones.

/** How many records one call into the addon fetches. */
const BATCH = 256

class LogIterator {
  #cursor
  #live
  #buffer = []
  #pos = 0
  #done = false
  #busy = 0
  #queue = Promise.resolve()

  constructor(cursor, live) {
    this.#cursor = cursor
    this.#live = live
  }

  [Symbol.asyncIterator]() {
    return this
  }

  /** The next record; calls are served in order even when not awaited one by one. */
  next() {
    if (this.#busy === 0 && this.#pos < this.#buffer.length) {
      return Promise.resolve({ value: this.#take(), done: false })
    }
    this.#busy++
    const result = this.#queue.then(() => this.#fetch())
    const settled = () => {
      this.#busy--
    }
    result.then(settled, settled)
    this.#queue = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }

  /** Ends the iteration (what `break` calls): a pending live wait ends within ~200 ms. */
  return(value) {
    this.#end()
    return Promise.resolve({ value, done: true })
  }

  #take() {
    const record = this.#buffer[this.#pos]
    this.#buffer[this.#pos++] = undefined
    return record
  }

  async #fetch() {
    if (this.#pos < this.#buffer.length) return { value: this.#take(), done: false }
    if (this.#done) return { value: undefined, done: true }
    try {
      let batch = this.#cursor.read(BATCH)
      // Each wait lasts at most one slice (an empty batch): wait again until a record comes.
      while (this.#live && batch && batch.length === 0 && !this.#done) {
        batch = await this.#cursor.waitAsync(BATCH)
      }
      if (this.#done || !batch || batch.length === 0) {
        this.#end()
        return { value: undefined, done: true }
      }
      this.#buffer = batch
      this.#pos = 0
      return { value: this.#take(), done: false }
    } catch (err) {
      this.#end()
      // close() ends an iteration cleanly, whichever side of the wait it happens on.
      if (err && err.code === 'ERR_COMMITLOG_CLOSED') return { value: undefined, done: true }
      throw err
    }
  }

  #end() {
    this.#done = true
    this.#buffer = []
    this.#pos = 0
    this.#cursor.cancel()
  }
}

module.exports = { LogIterator }
