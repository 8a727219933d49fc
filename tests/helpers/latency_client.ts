/**
 * Run as its own process by the load tests: GETs `url` (with `{page}` replaced by 1..10 in turn)
 * `count` times, `gap` ms apart, with `credentials` (`Bearer …` or a session's `Cookie` header),
 * and prints each time (ms) as JSON. Apart from the app's process, it samples at fixed moments and
 * cannot be held up by the app's work.
 *
 * Arguments: url credentials count gap
 */
const [url = "", credentials = "", count = "60", gap = "20"] = Deno.args;
const headers: Record<string, string> = credentials.startsWith("Bearer ")
  ? { Authorization: credentials }
  : { Cookie: credentials };
const times: number[] = [];
for (let i = 0; i < Number(count); i++) {
  const start = performance.now();
  const res = await fetch(url.replace("{page}", String(1 + i % 10)), {
    headers,
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  times.push(performance.now() - start);
  await new Promise((resolve) => setTimeout(resolve, Number(gap)));
}
console.log(JSON.stringify(times));
