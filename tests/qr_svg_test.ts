/** QR SVG: well-formed, accessible, CSP-safe markup whose one path draws the library's matrix. */
import assert from "node:assert/strict";
import { DOMParser, parseHTML } from "linkedom";
// @ts-types="npm:@types/qrcode@^1.5.6"
import QRCode from "qrcode";
import { QR_QUIET_ZONE, qrMatrix, qrSvg } from "../lib/qr_svg.ts";
import { otpauthUri } from "../lib/totp.ts";

const URI = otpauthUri({
  secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
  account: "jane.doe+stroke@example.org",
  issuer: "Stroke Patient Management",
});

/** The part of linkedom's DOM these tests use (Deno's type check has no DOM library). */
interface DomElement {
  tagName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
  getAttributeNames(): string[];
  querySelector(selectors: string): DomElement | null;
  querySelectorAll(selectors: string): ArrayLike<DomElement> & Iterable<DomElement>;
}

/** The root `<svg>` element of `markup`, parsed as XML. */
function parseSvg(markup: string): DomElement {
  const doc = new DOMParser().parseFromString(markup, "image/svg+xml") as unknown as {
    documentElement: DomElement | null;
  };
  const root = doc.documentElement;
  assert.ok(root, "no document element");
  assert.equal(root.tagName.toLowerCase(), "svg");
  return root;
}

/** `root` and every element under it. */
function allElements(root: DomElement): DomElement[] {
  return [root, ...Array.from(root.querySelectorAll("*"))];
}

/** The modules the path's `d` attribute paints, as a grid of `side` × `side` cells. */
function rasterise(d: string, side: number): boolean[][] {
  const grid = Array.from({ length: side }, () => Array<boolean>(side).fill(false));
  const rest = d.replace(/M(\d+) (\d+)h(\d+)v1h-(\d+)z/g, (_, x, y, run, back) => {
    assert.equal(run, back);
    for (let i = 0; i < Number(run); i++) grid[Number(y)]![Number(x) + i] = true;
    return "";
  });
  assert.equal(rest, "", "the path has only run rectangles");
  return grid;
}

Deno.test("qrSvg() gives XML with a square viewBox, role img, an aria-label and a title", () => {
  const root = parseSvg(qrSvg(URI, { label: "Scan with your authenticator app" }));
  assert.equal(root.getAttribute("xmlns"), "http://www.w3.org/2000/svg");
  assert.match(root.getAttribute("viewBox") ?? "", /^0 0 (\d+) \1$/);
  assert.equal(root.getAttribute("role"), "img");
  assert.equal(root.getAttribute("aria-label"), "Scan with your authenticator app");
  const title = root.querySelector("title");
  assert.equal(title?.textContent, "Scan with your authenticator app");
  assert.equal(root.getAttribute("width"), "200");
  assert.equal(root.getAttribute("height"), "200");
});

Deno.test("qrSvg() names the image 'QR code' unless given a label", () => {
  const root = parseSvg(qrSvg("hello"));
  assert.equal(root.getAttribute("aria-label"), "QR code");
  assert.equal(root.querySelector("title")?.textContent, "QR code");
});

Deno.test("qrSvg() takes the width and height from the size option", () => {
  const root = parseSvg(qrSvg("hello", { size: 160 }));
  assert.equal(root.getAttribute("width"), "160");
  assert.equal(root.getAttribute("height"), "160");
});

Deno.test("qrSvg() escapes the label in the attribute and the title", () => {
  const label = `Tom & "Jerry" <b>'s code</b>`;
  const markup = qrSvg("hello", { label });
  assert.ok(!markup.includes("<b>"));
  assert.ok(markup.includes('aria-label="Tom &amp; &quot;Jerry&quot; &lt;b&gt;&#39;s code'));
  const page = `<!doctype html><html><body>${markup}</body></html>`;
  const { document } = parseHTML(page) as unknown as { document: DomElement };
  const root = document.querySelector("svg");
  assert.equal(root?.getAttribute("aria-label"), label);
  assert.equal(root?.querySelector("title")?.textContent, label);
  assert.equal(root?.querySelectorAll("b").length, 0);
});

Deno.test("qrSvg() has no style, script, event handler or external reference", () => {
  const markup = qrSvg(URI);
  for (const element of allElements(parseSvg(markup))) {
    const tag = element.tagName.toLowerCase();
    assert.ok(!["style", "script", "foreignobject", "image", "use", "a"].includes(tag), tag);
    for (const name of element.getAttributeNames().map((name) => name.toLowerCase())) {
      const value = element.getAttribute(name) ?? "";
      assert.notEqual(name, "style", `style attribute on <${tag}>`);
      assert.ok(!name.startsWith("on"), `${name} on <${tag}>`);
      assert.ok(!name.endsWith("href"), `${name} on <${tag}>`);
      assert.ok(!value.includes("url("), `${name} on <${tag}>`);
    }
  }
  assert.doesNotMatch(markup, /style|script|href|url\(/i);
  assert.equal(markup.match(/https?:/g)?.length, 1, "only the xmlns namespace URI");
});

Deno.test("qrSvg() draws the dark modules with one path over a white rect", () => {
  const root = parseSvg(qrSvg(URI));
  const paths = root.querySelectorAll("path");
  assert.equal(paths.length, 1);
  assert.equal(paths[0]!.getAttribute("fill"), "#000000");
  const rects = root.querySelectorAll("rect");
  assert.equal(rects.length, 1);
  assert.equal(rects[0]!.getAttribute("fill"), "#ffffff");
  assert.equal(root.getAttribute("shape-rendering"), "crispEdges");
});

Deno.test("qrSvg() has as many modules as the library's version says, plus the margin", () => {
  for (const text of ["hello", URI, "x".repeat(500)]) {
    const { version } = QRCode.create(text, { errorCorrectionLevel: "M" });
    const side = 17 + 4 * version + 2 * QR_QUIET_ZONE;
    const root = parseSvg(qrSvg(text));
    assert.equal(root.getAttribute("viewBox"), `0 0 ${side} ${side}`, text.slice(0, 20));
    assert.equal(root.querySelector("rect")?.getAttribute("width"), String(side));
  }
});

Deno.test("qrMatrix() is the library's matrix at error correction level M", () => {
  const matrix = qrMatrix(URI);
  const code = QRCode.create(URI, { errorCorrectionLevel: "M" });
  assert.equal(matrix.version, code.version);
  assert.equal(matrix.size, 17 + 4 * matrix.version);
  assert.equal(matrix.dark.length, matrix.size);
  matrix.dark.forEach((cells, row) => {
    assert.equal(cells.length, matrix.size);
    cells.forEach((dark, column) => assert.equal(dark, code.modules.get(row, column) === 1));
  });
});

Deno.test("qrMatrix() encodes level M in the format information next to the finders", () => {
  const { dark, size } = qrMatrix(URI);
  assert.deepEqual([dark[8]![0], dark[8]![1]], [true, false]);
  assert.deepEqual([dark[size - 1]![8], dark[size - 2]![8]], [true, false]);
});

Deno.test("qrSvg() paints exactly the dark modules, inside a 4-module quiet zone", () => {
  const matrix = qrMatrix(URI);
  const side = matrix.size + 2 * QR_QUIET_ZONE;
  const d = parseSvg(qrSvg(URI)).querySelector("path")?.getAttribute("d") ?? "";
  const painted = rasterise(d, side);
  painted.forEach((cells, y) => {
    cells.forEach((dark, x) => {
      const row = y - QR_QUIET_ZONE;
      const column = x - QR_QUIET_ZONE;
      const expected = matrix.dark[row]?.[column] ?? false;
      assert.equal(dark, expected, `module ${x},${y}`);
    });
  });
});

Deno.test("qrSvg() draws the three finder patterns in the corners", () => {
  const matrix = qrMatrix("hello");
  const d = parseSvg(qrSvg("hello")).querySelector("path")?.getAttribute("d") ?? "";
  const painted = rasterise(d, matrix.size + 2 * QR_QUIET_ZONE);
  const far = QR_QUIET_ZONE + matrix.size - 7;
  for (
    const [x0, y0] of [[QR_QUIET_ZONE, QR_QUIET_ZONE], [far, QR_QUIET_ZONE], [QR_QUIET_ZONE, far]]
  ) {
    for (let i = 0; i < 7; i++) {
      for (let j = 0; j < 7; j++) {
        const ring = Math.max(Math.abs(i - 3), Math.abs(j - 3));
        assert.equal(painted[y0! + j]![x0! + i], ring !== 2, `finder at ${x0},${y0}`);
      }
    }
  }
});

Deno.test("qrSvg() throws for text too long for any QR version", () => {
  assert.throws(() => qrSvg("x".repeat(3000)));
});
