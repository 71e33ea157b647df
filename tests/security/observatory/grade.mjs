// Grade captured responses with the Mozilla HTTP Observatory's tests and scoring, without a network.
//
// The Observatory's scan() fetches a live site; this feeds the same tests a Requests object built
// from responses the Django test client captured. Reads JSON on stdin:
//   {"hostname": "...", "page": {url, status, headers, body}, "http": {url, status, headers},
//    "cors": {status, headers, requestHeaders}}
// and prints {"grade", "score", "tests": {name: {pass, result, scoreModifier}}}.
import fs from "node:fs";

import { AxiosHeaders } from "axios";
import { ALL_TESTS } from "@mdn/mdn-http-observatory/src/constants.js";
import { MINIMUM_SCORE_FOR_EXTRA_CREDIT } from "@mdn/mdn-http-observatory/src/grader/charts.js";
import { getGradeForScore, getScoreModifier } from "@mdn/mdn-http-observatory/src/grader/grader.js";
import { Session } from "@mdn/mdn-http-observatory/src/retriever/session.js";
import { parseHttpEquivHeaders } from "@mdn/mdn-http-observatory/src/retriever/utils.js";
import { HTML_TYPES, Requests } from "@mdn/mdn-http-observatory/src/types.js";

function response(captured, requestHeaders = {}) {
  const headers = new AxiosHeaders();
  for (const [name, value] of Object.entries(captured.headers)) headers.set(name, value);
  return {
    headers,
    request: { headers: new AxiosHeaders(requestHeaders) },
    status: captured.status,
    statusText: "",
    verified: true,
    data: captured.body ?? "",
    config: { headers: new AxiosHeaders() },
  };
}

const input = JSON.parse(fs.readFileSync(0, "utf8"));
const requests = new Requests(input.hostname);
const page = response(input.page);
requests.responses.auto = page;
requests.responses.https = page;
requests.responses.http = response(input.http);
// Plain HTTP answers a redirect to the same page over HTTPS, which then answers.
requests.responses.httpRedirects = [
  { url: new URL(input.http.url), status: input.http.status },
  { url: new URL(input.page.url), status: input.page.status },
];
requests.responses.httpsRedirects = [{ url: new URL(input.page.url), status: input.page.status }];
requests.responses.cors = response(input.cors, input.cors.requestHeaders);
requests.session = new Session(new URL(input.page.url));
requests.resources.path = input.page.body ?? "";
const contentType = page.headers.get("content-type")?.split(";")[0];
page.httpEquiv =
  HTML_TYPES.has(contentType) && requests.resources.path
    ? parseHttpEquivHeaders(requests.resources.path, input.page.url)
    : new Map();

// The scoring of scan() in src/scanner/index.js: bonuses count only once the penalties leave an A.
let withExtraCredit = 100;
let uncurved = 100;
const tests = {};
for (const test of ALL_TESTS) {
  const output = test(requests);
  const modifier = output.result ? getScoreModifier(output.result) : 0;
  withExtraCredit += modifier;
  if (modifier < 0) uncurved += modifier;
  tests[output.constructor.name] = { pass: output.pass, result: output.result, scoreModifier: modifier };
}
const { grade, score } = getGradeForScore(uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? withExtraCredit : uncurved);
process.stdout.write(JSON.stringify({ grade, score, tests }));
