// A small static check that a CloudFront Function uses only what AWS documents for runtime
// cloudfront-js-2.0 ("JavaScript runtime 2.0 features for CloudFront Functions", and "Helper
// methods for key value stores"). It tokenizes the source (comments, strings and regular
// expressions skipped) and reports:
//   - syntax the page does not list: classes, generators, for-of, spread (`...`), optional
//     chaining and nullish operators, logical assignment, `with`, exports, other imports;
//   - what the page's "Restricted features" forbids: eval and Function constructors, timers,
//     network (fetch, XMLHttpRequest), process, require of fs and the like;
//   - async anywhere but a top-level `async function` ("async arguments and closures are not
//     supported"), and await outside an async function (no top-level await);
//   - any global name not on the documented list, and any method call `.name(` whose name is not
//     a documented method of a documented object (so `Array.from`, `Object.fromEntries`,
//     `String.prototype.at` and the like are refused: the page does not list them);
//   - console.log with more than one argument (the page: "doesn't support comma syntax").
// It is deliberately a linter for this repository's function, not a JavaScript parser: what it
// cannot analyse (template substitutions) it refuses rather than guesses.

// The page's globals (and `cf`, the imported module). `Buffer` is documented as a module whose
// import form the page does not show; it is left out until a function needs it.
export const DOCUMENTED_GLOBALS = new Set([
  'globalThis', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'isFinite', 'isNaN',
  'parseFloat', 'parseInt', 'atob', 'btoa', 'NaN', 'Infinity', 'undefined', 'arguments',
  'Object', 'String', 'Number', 'Math', 'Date', 'Function', 'RegExp', 'JSON', 'Array', 'Promise', 'Symbol',
  'Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array', 'Uint8Array', 'Uint8ClampedArray',
  'Uint16Array', 'Uint32Array', 'ArrayBuffer', 'DataView', 'TextDecoder', 'TextEncoder', 'console',
  'Error', 'EvalError', 'InternalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError',
  'cf',
]);

// Methods the page lists (static and prototype, by name), plus the KeyValueStore helpers
// (kvs, get, exists, meta) and console.log. Date: "All ES 5.1 Date features are supported",
// so ES 5.1's Date methods are listed here by name.
export const DOCUMENTED_METHODS = new Set([
  // Object
  'create', 'defineProperties', 'defineProperty', 'freeze', 'getOwnPropertyDescriptor', 'getOwnPropertyDescriptors',
  'getOwnPropertyNames', 'getPrototypeOf', 'isExtensible', 'isFrozen', 'isSealed', 'keys', 'preventExtensions',
  'seal', 'assign', 'entries', 'values', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toString',
  'valueOf', 'is', 'setPrototypeOf',
  // String
  'fromCharCode', 'fromCodePoint', 'charAt', 'concat', 'indexOf', 'lastIndexOf', 'match', 'replace', 'search',
  'slice', 'split', 'substr', 'substring', 'toLowerCase', 'trim', 'toUpperCase', 'codePointAt', 'endsWith',
  'includes', 'repeat', 'startsWith', 'padStart', 'padEnd', 'trimStart', 'trimEnd', 'replaceAll',
  // Number
  'isInteger', 'isSafeInteger', 'toExponential', 'toFixed', 'toPrecision',
  // Math (all of ES 5.1 and the ES 6 list)
  'abs', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atan2', 'atanh', 'cbrt', 'ceil', 'clz32', 'cos', 'cosh', 'exp',
  'expm1', 'floor', 'fround', 'hypot', 'imul', 'log', 'log1p', 'log2', 'log10', 'max', 'min', 'pow', 'random',
  'round', 'sign', 'sinh', 'sin', 'sqrt', 'tan', 'tanh', 'trunc',
  // Date (ES 5.1)
  'now', 'parse', 'UTC', 'getTime', 'getFullYear', 'getUTCFullYear', 'getMonth', 'getUTCMonth', 'getDate',
  'getUTCDate', 'getDay', 'getUTCDay', 'getHours', 'getUTCHours', 'getMinutes', 'getUTCMinutes', 'getSeconds',
  'getUTCSeconds', 'getMilliseconds', 'getUTCMilliseconds', 'getTimezoneOffset', 'setTime', 'toISOString',
  'toJSON', 'toUTCString', 'toDateString', 'toTimeString',
  // Function
  'apply', 'bind', 'call',
  // RegExp
  'exec', 'test',
  // JSON: parse (above), stringify
  'stringify',
  // Array
  'isArray', 'of', 'every', 'filter', 'forEach', 'join', 'map', 'pop', 'push', 'reduce', 'reduceRight', 'reverse',
  'shift', 'some', 'sort', 'splice', 'unshift', 'copyWithin', 'fill', 'find', 'findIndex',
  // Typed arrays, ArrayBuffer, DataView
  'from', 'set', 'subarray', 'isView',
  // Promise
  'all', 'allSettled', 'any', 'reject', 'resolve', 'race', 'catch', 'finally', 'then',
  // Symbol
  'for', 'keyFor',
  // TextDecoder / TextEncoder
  'decode', 'encode', 'encodeInto',
  // cloudfront module and KeyValueStore helper methods
  'kvs', 'get', 'exists', 'meta',
]);
// `from` is documented for typed arrays only: `Array.from` is refused explicitly.
const REFUSED_MEMBER_CALLS = new Map([['Array.from', 'Array.from() is not documented (only TypedArray.from())']]);

const FORBIDDEN_NAMES = new Map([
  ['eval', 'eval() is not supported (restricted: dynamic code evaluation)'],
  ['require', 'require() is not used by this function (and only crypto/querystring modules load that way)'],
  ['setTimeout', 'timers are not supported (restricted)'],
  ['setInterval', 'timers are not supported (restricted)'],
  ['setImmediate', 'timers are not supported (restricted)'],
  ['clearTimeout', 'timers are not supported (restricted)'],
  ['clearInterval', 'timers are not supported (restricted)'],
  ['queueMicrotask', 'not documented'],
  ['fetch', 'no network access (restricted)'],
  ['XMLHttpRequest', 'no network access (restricted)'],
  ['WebSocket', 'no network access (restricted)'],
  ['process', 'no process access (restricted)'],
  ['module', 'not a CommonJS module'],
  ['exports', 'not a CommonJS module'],
]);
const FORBIDDEN_KEYWORDS = new Map([
  ['class', 'classes are not documented for runtime 2.0'],
  ['extends', 'classes are not documented for runtime 2.0'],
  ['super', 'classes are not documented for runtime 2.0'],
  ['yield', 'generators are not documented for runtime 2.0'],
  ['with', 'with is not allowed in strict mode (functions always run strict)'],
  ['export', 'a function exports nothing; CloudFront calls handler()'],
  ['debugger', 'not documented'],
]);
const FORBIDDEN_PUNCTUATORS = new Map([
  ['...', 'spread is not documented (rest parameters are; this file uses neither)'],
  ['?.', 'optional chaining is not documented for runtime 2.0'],
  ['??', 'nullish coalescing is not documented for runtime 2.0'],
  ['??=', 'logical assignment is not documented for runtime 2.0'],
  ['||=', 'logical assignment is not documented for runtime 2.0'],
  ['&&=', 'logical assignment is not documented for runtime 2.0'],
]);

const KEYWORDS = new Set([
  'break', 'case', 'catch', 'continue', 'default', 'delete', 'do', 'else', 'finally', 'for', 'function', 'if', 'in',
  'instanceof', 'new', 'return', 'switch', 'this', 'throw', 'try', 'typeof', 'var', 'void', 'while', 'const', 'let',
  'async', 'await', 'true', 'false', 'null', 'import', 'from', 'of', 'static', 'get', 'set',
]);
const PUNCTUATORS = ['>>>=', '...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=', '=>', '==', '!=',
  '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '**', '<<', '>>'];
const REGEX_AFTER = new Set(['(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>',
  '~', '^', '&&', '||', '??', '=>', '==', '===', '!=', '!==', '+=', '-=', 'return', 'typeof', 'case', 'do', 'else',
  'in', 'of', 'new', 'delete', 'void', 'throw', 'instanceof']);

// Tokens: {t: 'name'|'punct'|'string'|'regex'|'number', v, line}.
export function tokenize(src) {
  const out = [];
  let i = 0;
  let line = 1;
  const prev = () => (out.length ? out[out.length - 1] : null);
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (src.startsWith('//', i)) { while (i < src.length && src[i] !== '\n') i++; continue; }
    if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new Error(`line ${line}: unclosed comment`);
      line += src.slice(i, end).split('\n').length - 1;
      i = end + 2;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') j++;
        else if (c !== '`' && src[j] === '\n') throw new Error(`line ${line}: unclosed string`);
        else if (c === '`' && src[j] === '$' && src[j + 1] === '{') {
          throw new Error(`line ${line}: template substitutions are not analysed by this checker; concatenate instead`);
        }
        j++;
      }
      const v = src.slice(i + 1, j);
      out.push({ t: 'string', v, line });
      line += v.split('\n').length - 1;
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      let j = i;
      while (j < src.length && /[A-Za-z0-9_$]/.test(src[j])) j++;
      out.push({ t: 'name', v: src.slice(i, j), line });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] || ''))) {
      let j = i;
      while (j < src.length && /[0-9A-Za-z_.]/.test(src[j])) j++;
      out.push({ t: 'number', v: src.slice(i, j), line });
      i = j;
      continue;
    }
    const p = prev();
    if (c === '/' && (p === null || (p.t === 'punct' && REGEX_AFTER.has(p.v)) || (p.t === 'name' && REGEX_AFTER.has(p.v)))) {
      let j = i + 1;
      let inClass = false;
      while (j < src.length && (inClass || src[j] !== '/')) {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') inClass = true;
        else if (src[j] === ']') inClass = false;
        else if (src[j] === '\n') throw new Error(`line ${line}: unclosed regular expression`);
        j++;
      }
      j++;
      while (j < src.length && /[a-z]/.test(src[j])) j++;
      out.push({ t: 'regex', v: src.slice(i, j), line });
      i = j;
      continue;
    }
    const punct = PUNCTUATORS.find((q) => src.startsWith(q, i)) || c;
    out.push({ t: 'punct', v: punct, line });
    i += punct.length;
  }
  return out;
}

// Findings: [{line, what}]; empty when the source keeps to the documented subset.
export function check(src) {
  const findings = [];
  const report = (tok, what) => findings.push({ line: tok ? tok.line : 0, what });
  let toks;
  try {
    toks = tokenize(src);
  } catch (err) {
    return [{ line: 0, what: err.message }];
  }
  const is = (k, t, v) => toks[k] && toks[k].t === t && (v === undefined || toks[k].v === v);

  // The one import, first: `import cf from 'cloudfront';`
  const importAt = [];
  toks.forEach((tok, k) => { if (tok.t === 'name' && tok.v === 'import') importAt.push(k); });
  if (importAt.length !== 1 || importAt[0] !== 0 || !is(1, 'name', 'cf') || !is(2, 'name', 'from')
      || !is(3, 'string', 'cloudfront') || !is(4, 'punct', ';')) {
    report(toks[importAt[1] || importAt[0] || 0], "the only import must be the first statement: import cf from 'cloudfront';");
  }

  // Names this file declares: after var/let/const/function, parameters, catch bindings.
  const declared = new Set();
  toks.forEach((tok, k) => {
    if (tok.t !== 'name') return;
    if (['var', 'let', 'const', 'function'].includes(tok.v) && is(k + 1, 'name')) declared.add(toks[k + 1].v);
    if (tok.v === 'catch' && is(k + 1, 'punct', '(') && is(k + 2, 'name')) declared.add(toks[k + 2].v);
    if (is(k + 1, 'punct', '=>')) declared.add(tok.v); // x => ...
  });
  toks.forEach((tok, k) => {
    // Parameter lists: `function name? ( a, b )` and `( a, b ) =>`.
    if (!(tok.t === 'punct' && tok.v === '(')) return;
    const fnParams = is(k - 1, 'name', 'function') || (is(k - 1, 'name') && is(k - 2, 'name', 'function'));
    let depth = 0;
    let end = k;
    for (; end < toks.length; end++) {
      if (toks[end].t === 'punct' && toks[end].v === '(') depth++;
      if (toks[end].t === 'punct' && toks[end].v === ')' && --depth === 0) break;
    }
    if (fnParams || is(end + 1, 'punct', '=>')) {
      for (let m = k + 1; m < end; m++) if (toks[m].t === 'name' && !is(m - 1, 'punct', '.')) declared.add(toks[m].v);
    }
  });
  if (importAt.length) declared.add('cf');

  // Braces: object literal, function body (async or not) or block.
  const braces = [];
  let pendingFunction = null; // {async} until its body's `{`
  let parenDepth = 0;
  const OBJECT_AFTER = new Set(['(', ',', '=', ':', '[', '?', '||', '&&', 'return']);
  toks.forEach((tok, k) => {
    const p = toks[k - 1];
    const n = toks[k + 1];
    if (tok.t === 'punct') {
      if (FORBIDDEN_PUNCTUATORS.has(tok.v)) report(tok, `\`${tok.v}\`: ${FORBIDDEN_PUNCTUATORS.get(tok.v)}`);
      if (tok.v === '(') parenDepth++;
      if (tok.v === ')') parenDepth--;
      if (tok.v === '{') {
        let kind = 'block';
        if (pendingFunction) { kind = pendingFunction.async ? 'async-fn' : 'fn'; pendingFunction = null; }
        else if (p && p.t === 'punct' && p.v === '=>') kind = 'fn';
        else if (p && OBJECT_AFTER.has(p.v)) kind = 'object';
        braces.push(kind);
      }
      if (tok.v === '}') braces.pop();
      if (tok.v === '*' && p && p.t === 'name' && p.v === 'function') report(tok, 'generators are not documented for runtime 2.0');
      return;
    }
    if (tok.t !== 'name') return;
    const afterDot = p && p.t === 'punct' && p.v === '.';
    if (!afterDot && FORBIDDEN_KEYWORDS.has(tok.v)) report(tok, `${tok.v}: ${FORBIDDEN_KEYWORDS.get(tok.v)}`);
    if (!afterDot && FORBIDDEN_NAMES.has(tok.v)) report(tok, `${tok.v}: ${FORBIDDEN_NAMES.get(tok.v)}`);
    if (tok.v === 'Function' && !afterDot && !(n && n.t === 'punct' && n.v === '.')) {
      report(tok, 'Function constructors are not supported (restricted: dynamic code evaluation)');
    }
    if (tok.v === 'function') pendingFunction = { async: !!(p && p.t === 'name' && p.v === 'async') };
    if (tok.v === 'async' && !afterDot) {
      const topLevel = braces.length === 0 && parenDepth === 0;
      if (!(n && n.t === 'name' && n.v === 'function') || !topLevel) {
        report(tok, 'async only on top-level function declarations ("async arguments and closures are not supported")');
      }
    }
    if (tok.v === 'await' && !afterDot) {
      const fns = braces.filter((b) => b === 'fn' || b === 'async-fn');
      if (fns.length === 0) report(tok, 'await outside a function (no top-level await)');
      else if (fns[fns.length - 1] !== 'async-fn') report(tok, 'await outside an async function');
    }
    if (tok.v === 'for' && !afterDot) {
      if (n && n.t === 'name' && n.v === 'await') report(tok, 'for await is not documented');
      let depth = 0;
      for (let m = k + 1; m < toks.length; m++) {
        if (toks[m].t === 'punct' && toks[m].v === '(') depth++;
        if (toks[m].t === 'punct' && toks[m].v === ')' && --depth === 0) break;
        if (depth === 1 && toks[m].t === 'name' && toks[m].v === 'of') { report(tok, 'for-of is not documented (use for, or forEach)'); break; }
      }
    }
    // Method calls: `.name(`.
    if (afterDot && n && n.t === 'punct' && n.v === '(') {
      const owner = toks[k - 2] && toks[k - 2].t === 'name' ? toks[k - 2].v : null;
      const member = owner ? `${owner}.${tok.v}` : null;
      if (member && REFUSED_MEMBER_CALLS.has(member)) report(tok, REFUSED_MEMBER_CALLS.get(member));
      else if (!DOCUMENTED_METHODS.has(tok.v)) report(tok, `.${tok.v}(): not a documented runtime 2.0 method`);
      if (member === 'console.log') {
        let depth = 0;
        for (let m = k + 1; m < toks.length; m++) {
          if (toks[m].t === 'punct' && ['(', '[', '{'].includes(toks[m].v)) depth++;
          if (toks[m].t === 'punct' && [')', ']', '}'].includes(toks[m].v) && --depth === 0) break;
          if (depth === 1 && toks[m].t === 'punct' && toks[m].v === ',') { report(tok, "console.log takes one argument (no comma syntax; concatenate)"); break; }
        }
      }
    }
    // Globals: a name that is not a property, not an object key, not a keyword, not declared.
    const objectKey = braces[braces.length - 1] === 'object' && n && n.t === 'punct' && n.v === ':'
      && p && p.t === 'punct' && (p.v === '{' || p.v === ',');
    if (!afterDot && !objectKey && !KEYWORDS.has(tok.v) && !declared.has(tok.v)
        && !FORBIDDEN_NAMES.has(tok.v) && !FORBIDDEN_KEYWORDS.has(tok.v) && !DOCUMENTED_GLOBALS.has(tok.v)) {
      report(tok, `${tok.v}: not a documented runtime 2.0 global, and not declared here`);
    }
  });
  return findings;
}
