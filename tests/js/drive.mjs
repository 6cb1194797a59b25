// Drives the official Chroma JavaScript client (npm `chromadb`, pinned in package.json) through
// the ALB-faithful nginx proxy: create, add, query, get, delete. Prints one JSON line: either
// {"ok": true, ...} or {"ok": false, "error": <class name>, "message": ...}. Never prints a token.
// Input (environment): CHROMA_HOST, CHROMA_PORT, MODE (bearer | x-chroma-token | none),
// CHROMA_TOKEN (read from the environment so it never appears in a command line).
import { ChromaClient } from "chromadb";

const mode = process.env.MODE ?? "none";
const token = process.env.CHROMA_TOKEN ?? "";
const headers = {};
if (mode === "bearer") headers["Authorization"] = `Bearer ${token}`;
if (mode === "x-chroma-token") headers["X-Chroma-Token"] = token;

const client = new ChromaClient({
  host: process.env.CHROMA_HOST,
  port: Number(process.env.CHROMA_PORT),
  ssl: false,
  headers,
  // every request of this run is bounded (the Python side also kills the process)
  fetchOptions: { signal: AbortSignal.timeout(30000) },
});

const name = `js-client-${process.pid}-${Date.now()}`;
try {
  const col = await client.createCollection({ name, embeddingFunction: null });
  await col.add({
    ids: ["a", "b", "c"],
    embeddings: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    metadatas: [{ k: 1 }, { k: 2 }, { k: 3 }],
  });
  const res = await col.query({ queryEmbeddings: [[0, 0.9, 0.1]], nResults: 1 });
  const got = await col.get({ ids: ["c"] });
  const count = await col.count();
  await client.deleteCollection({ name });
  console.log(JSON.stringify({ ok: true, nearest: res.ids[0][0], got: got.ids, count }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: err?.constructor?.name ?? typeof err, message: String(err?.message ?? err) }));
}
