// Runner of one invocation of a Node.js function in the twin.
//
// Usage: node runner.mjs <config-json>   (the event arrives on stdin)
//
// config: {taskDir, handler, resultPath, timeoutMs, functionName,
//          functionVersion, invokedFunctionArn, memoryLimitInMB,
//          awsRequestId, logGroupName, logStreamName, clientContext}
//
// The outcome is written as JSON to config.resultPath, never to stdout, so
// that whatever the function logs cannot be mistaken for its result:
//   {"kind":"ok","payload":"<the result, JSON-encoded>"}
//   {"kind":"error","error":{"errorType":…,"errorMessage":…,"trace":[…]}}
//   {"kind":"timeout"}
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(process.argv[2]);

let settled = false;
function finish(outcome) {
  if (settled) return;
  settled = true;
  writeFileSync(config.resultPath, JSON.stringify(outcome));
  process.exit(0);
}

function describe(err, fallbackType) {
  if (err instanceof Error) {
    return {
      errorType: err.name || fallbackType,
      errorMessage: err.message,
      trace: typeof err.stack === 'string' ? err.stack.split('\n') : [],
    };
  }
  let message;
  try {
    message = typeof err === 'string' ? err : JSON.stringify(err);
  } catch {
    message = String(err);
  }
  return { errorType: fallbackType, errorMessage: message ?? String(err), trace: [] };
}

function fail(err, fallbackType) {
  finish({ kind: 'error', error: describe(err, fallbackType) });
}

process.on('uncaughtException', (err) => fail(err, 'Runtime.UncaughtException'));
process.on('unhandledRejection', (err) => fail(err, 'Runtime.UnhandledPromiseRejection'));

// "dir/index.handler" → module "dir/index", export "handler".
const dot = config.handler.lastIndexOf('.');
if (dot <= 0 || dot === config.handler.length - 1) {
  finish({
    kind: 'error',
    error: { errorType: 'Runtime.MalformedHandlerName', errorMessage: `Bad handler ${config.handler}`, trace: [] },
  });
}
const moduleName = config.handler.slice(0, dot);
const exportName = config.handler.slice(dot + 1);

let file;
for (const ext of ['.mjs', '.js', '.cjs']) {
  const candidate = join(config.taskDir, moduleName + ext);
  if (existsSync(candidate)) {
    file = candidate;
    break;
  }
}
if (!file) {
  finish({
    kind: 'error',
    error: {
      errorType: 'Runtime.ImportModuleError',
      errorMessage: `Error: Cannot find module '${moduleName}'`,
      trace: [],
    },
  });
}

let mod;
try {
  mod = await import(pathToFileURL(file).href);
} catch (err) {
  const d = describe(err, 'Runtime.ImportModuleError');
  finish({
    kind: 'error',
    error: { errorType: 'Runtime.ImportModuleError', errorMessage: `${d.errorType}: ${d.errorMessage}`, trace: d.trace },
  });
}

const handler = mod[exportName] ?? mod.default?.[exportName];
if (typeof handler !== 'function') {
  finish({
    kind: 'error',
    error: {
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: `${config.handler} is undefined or not exported`,
      trace: [],
    },
  });
}

const input = readFileSync(0, 'utf8');
const event = input.trim() === '' ? {} : JSON.parse(input);

const deadline = Date.now() + config.timeoutMs;
const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: config.functionName,
  functionVersion: config.functionVersion,
  invokedFunctionArn: config.invokedFunctionArn,
  memoryLimitInMB: config.memoryLimitInMB,
  awsRequestId: config.awsRequestId,
  logGroupName: config.logGroupName,
  logStreamName: config.logStreamName,
  clientContext: config.clientContext ?? undefined,
  identity: undefined,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};

// The timer keeps the event loop alive: a handler whose promise never
// settles times out, as it would in Lambda.
setTimeout(() => finish({ kind: 'timeout' }), config.timeoutMs);

try {
  const result = await new Promise((resolve, reject) => {
    const callback = (err, value) => (err ? reject(err) : resolve(value));
    const returned = handler(event, context, callback);
    if (returned && typeof returned.then === 'function') {
      returned.then(resolve, reject);
    } else if (handler.length < 3) {
      resolve(returned);
    }
  });
  let payload;
  try {
    payload = JSON.stringify(result);
  } catch (err) {
    fail(err, 'Runtime.MarshalError');
  }
  finish({ kind: 'ok', payload: payload === undefined ? 'null' : payload });
} catch (err) {
  fail(err, 'Error');
}
