// One image with its signed URL.
//   BASE_URL=http://127.0.0.1:8080 USERS=1000 IMAGES=50 k6 run loadtests/one.js
import http from 'k6/http';
import { check } from 'k6';

const BASE = __ENV.BASE_URL || 'http://127.0.0.1:8080';
const USERS = parseInt(__ENV.USERS || '1000', 10);
const IMAGES = parseInt(__ENV.IMAGES || '50', 10);
const QUERY = 'query($i: ID!) { image(id: $i) { id url } }';

export const options = {
  vus: parseInt(__ENV.VUS || '16', 10),
  duration: __ENV.DURATION || '15s',
  thresholds: {
    http_req_failed: ['rate<0.001'],
    checks: ['rate>0.999'],
    http_req_duration: ['p(99)<100'],
  },
};

function pad(n) {
  return String(n).padStart(4, '0');
}

export default function () {
  const u = 'u' + pad(Math.floor(Math.random() * USERS));
  const id = `${u}-${pad(Math.floor(Math.random() * IMAGES))}`;
  const res = http.post(`${BASE}/graphql`, JSON.stringify({ query: QUERY, variables: { i: id } }), {
    headers: { 'Content-Type': 'application/json' },
  });
  const url = res.status === 200 ? res.json('data.image.url') : null;
  check(res, {
    'status 200': (r) => r.status === 200,
    'image found': () => url !== null,
    'url signed': () => url !== null && url.includes('Signature=') && url.includes('Key-Pair-Id='),
  });
}
