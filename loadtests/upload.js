// createUpload: an upload ticket (PENDING image + presigned PUT) for a random signed-in user.
//   BASE_URL=http://127.0.0.1:8080 TOKENS_FILE=tokens.txt k6 run loadtests/upload.js
// TOKENS_FILE holds one bearer token per line (loadtests/run makes them with `mediagate dev-token`).
import http from 'k6/http';
import crypto from 'k6/crypto';
import { check } from 'k6';

const BASE = __ENV.BASE_URL || 'http://127.0.0.1:8080';
const TOKENS = open(__ENV.TOKENS_FILE).split('\n').filter((t) => t.length > 0);
const QUERY = `mutation($in: CreateUploadInput!) { createUpload(input: $in) {
  image { id status } upload { method url expiresAt headers { name value } } } }`;

export const options = {
  vus: parseInt(__ENV.VUS || '16', 10),
  duration: __ENV.DURATION || '15s',
  thresholds: {
    http_req_failed: ['rate<0.001'],
    checks: ['rate>0.999'],
    http_req_duration: ['p(99)<100'],
  },
};

export default function () {
  const token = TOKENS[Math.floor(Math.random() * TOKENS.length)];
  const size = 1000 + Math.floor(Math.random() * 1000000);
  // createUpload requires a SHA-256; no bytes are PUT here, so any well-formed digest will do.
  const sha256 = crypto.sha256(`photo-${size}`, 'hex');
  const input = { filename: `photo-${size}.jpg`, contentType: 'image/jpeg', size, sha256 };
  const res = http.post(`${BASE}/graphql`, JSON.stringify({ query: QUERY, variables: { in: input } }), {
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
  });
  const ticket = res.status === 200 ? res.json('data.createUpload') : null;
  const url = ticket ? ticket.upload.url : '';
  const headers = ticket ? ticket.upload.headers.map((h) => h.name.toLowerCase()).sort().join(',') : '';
  check(res, {
    'status 200': (r) => r.status === 200,
    'ticket issued': () => ticket !== null && ticket.image.status === 'PENDING',
    'presigned PUT': () => ticket !== null && ticket.upload.method === 'PUT' && url.includes('X-Amz-Signature='),
    'type, length and checksum signed': () =>
      url.includes('X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost%3Bx-amz-checksum-sha256') &&
      headers === 'content-length,content-type,x-amz-checksum-sha256',
  });
}
