// The gallery: one user's 50 newest images, each with a signed URL.
//   BASE_URL=http://127.0.0.1:8080 USERS=1000 k6 run loadtests/gallery.js
import http from 'k6/http';
import { check } from 'k6';

const BASE = __ENV.BASE_URL || 'http://127.0.0.1:8080';
const USERS = parseInt(__ENV.USERS || '1000', 10);
const QUERY = 'query($u: ID!) { user(id: $u) { images(first: 50) { nodes { id url } } } }';

export const options = {
  vus: parseInt(__ENV.VUS || '16', 10),
  duration: __ENV.DURATION || '15s',
  thresholds: {
    http_req_failed: ['rate<0.001'],
    checks: ['rate>0.999'],
    http_req_duration: ['p(99)<250'],
  },
};

function user() {
  return 'u' + String(Math.floor(Math.random() * USERS)).padStart(4, '0');
}

export default function () {
  const res = http.post(`${BASE}/graphql`, JSON.stringify({ query: QUERY, variables: { u: user() } }), {
    headers: { 'Content-Type': 'application/json' },
  });
  const nodes = res.status === 200 ? (res.json('data.user.images.nodes') || []) : [];
  check(res, {
    'status 200': (r) => r.status === 200,
    'no errors': (r) => !r.json('errors'),
    '50 images': () => nodes.length === 50,
    'every url signed': () => nodes.every((n) => n.url.includes('Signature=') && n.url.includes('Key-Pair-Id=')),
  });
}
