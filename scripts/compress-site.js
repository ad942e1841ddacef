// Writes FILE.br and FILE.gz beside every compressible file under the
// folder given (the built site), with Node's own zlib: no download. A copy
// is kept only when it is smaller than the file.
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const COMPRESSIBLE = new Set(['.js', '.wasm', '.css', '.svg', '.json', '.html']);

function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(file);
    else if (COMPRESSIBLE.has(path.extname(entry.name))) compress(file);
  }
}

function compress(file) {
  const data = fs.readFileSync(file);
  const variants = [
    ['.br', zlib.brotliCompressSync(data, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    })],
    ['.gz', zlib.gzipSync(data, { level: 9 })],
  ];
  for (const [suffix, packed] of variants) {
    const target = file + suffix;
    if (packed.length < data.length) fs.writeFileSync(target, packed);
    else fs.rmSync(target, { force: true });
  }
}

walk(process.argv[2]);
