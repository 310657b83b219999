// ESM entry: the same module as `require('commitlog')`.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const commitlog = require('./index.js')

export const { Log, Cursor, LogIterator } = commitlog
export default commitlog
