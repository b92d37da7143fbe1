// After `vite build`: measures the initial JavaScript (the entry script and
// the chunks index.html preloads) gzipped, fails the build above the budget,
// and writes .gz and .br siblings of the text assets, which the Go server
// sends to clients that accept them.
import { readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gzipSync, brotliCompressSync, constants } from 'node:zlib'

const BUDGET_KB = Number(process.env.WEB_JS_BUDGET_KB ?? 250)
const dist = new URL('../dist/', import.meta.url).pathname

const html = readFileSync(join(dist, 'index.html'), 'utf8')
const initial = new Set()
for (const m of html.matchAll(/<script[^>]+src="\/([^"]+\.js)"/g)) initial.add(m[1])
for (const m of html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/([^"]+\.js)"/g)) initial.add(m[1])

const gz = (buf) => gzipSync(buf, { level: 9 }).length
const kb = (n) => (n / 1024).toFixed(1)

let total = 0
console.log('initial JavaScript (gzipped):')
for (const f of initial) {
  const size = gz(readFileSync(join(dist, f)))
  total += size
  console.log(`  ${f.padEnd(44)} ${kb(size).padStart(7)} KB`)
}
console.log(`  ${'total'.padEnd(44)} ${kb(total).padStart(7)} KB (budget ${BUDGET_KB} KB)`)

const lazy = []
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p)
    else if (/\.(js|css|html|svg|json|txt)$/.test(name) && name !== 'placeholder.html') {
      const buf = readFileSync(p)
      const rel = relative(dist, p)
      if (rel.endsWith('.js') && !initial.has(rel)) lazy.push([rel, gz(buf)])
      if (buf.length < 1024) continue
      writeFileSync(p + '.gz', gzipSync(buf, { level: 9 }))
      writeFileSync(p + '.br', brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }))
    }
  }
}
walk(dist)
console.log('lazy chunks (gzipped):')
for (const [f, size] of lazy.sort((a, b) => b[1] - a[1])) console.log(`  ${f.padEnd(44)} ${kb(size).padStart(7)} KB`)

if (total > BUDGET_KB * 1024) {
  console.error(`budget: initial JavaScript is ${kb(total)} KB gzipped, over the ${BUDGET_KB} KB budget`)
  process.exit(1)
}
