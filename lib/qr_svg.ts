/** QR codes as inline SVG made on the server: presentation attributes only, so CSP-safe. */
// @ts-types="npm:@types/qrcode@^1.5.6"
import QRCode from "qrcode";

/** The blank margin around the code, in modules (the minimum the QR standard asks for). */
export const QR_QUIET_ZONE = 4;

/** The modules of a QR code: `dark[row][column]`, without the quiet zone. */
export interface QrMatrix {
  /** The QR version (1–40) the library chose for the text. */
  version: number;
  /** The number of modules along one side: 17 + 4 × version. */
  size: number;
  dark: boolean[][];
}

/** How the SVG is drawn. */
export interface QrSvgOptions {
  /** The accessible name (`aria-label` and `<title>`); "QR code" unless given. */
  label?: string;
  /** The `width` and `height` attributes in CSS pixels (default 200); the viewBox scales it. */
  size?: number;
}

/** The module matrix of `text` at error correction level M (throws if the text is too long). */
export function qrMatrix(text: string): QrMatrix {
  const code = QRCode.create(text, { errorCorrectionLevel: "M" });
  const { size, data } = code.modules;
  const dark: boolean[][] = [];
  for (let row = 0; row < size; row++) {
    const cells: boolean[] = [];
    for (let column = 0; column < size; column++) cells.push(data[row * size + column] === 1);
    dark.push(cells);
  }
  return { version: code.version, size, dark };
}

const XML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** `text` escaped for XML character data and attribute values. */
function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => XML_ENTITIES[char] ?? char);
}

/** The path data of the dark modules: one rectangle per horizontal run, offset by the margin. */
function darkPath(matrix: QrMatrix): string {
  const parts: string[] = [];
  matrix.dark.forEach((cells, row) => {
    let column = 0;
    while (column < cells.length) {
      if (!cells[column]) {
        column++;
        continue;
      }
      const start = column;
      while (cells[column]) column++;
      const run = column - start;
      parts.push(`M${start + QR_QUIET_ZONE} ${row + QR_QUIET_ZONE}h${run}v1h-${run}z`);
    }
  });
  return parts.join("");
}

/**
 * An SVG QR code of `text` (error correction M, 4-module quiet zone), to inline in a page. It has
 * no `style` attribute or element, no script and no external reference: a white `<rect>`, one
 * `<path>` for the dark modules, `role="img"`, an `aria-label` and a `<title>`.
 */
export function qrSvg(text: string, options: QrSvgOptions = {}): string {
  const { label = "QR code", size = 200 } = options;
  const matrix = qrMatrix(text);
  const side = matrix.size + 2 * QR_QUIET_ZONE;
  const name = escapeXml(label);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${side} ${side}" ` +
    `width="${size}" height="${size}" shape-rendering="crispEdges" role="img" ` +
    `aria-label="${name}"><title>${name}</title>` +
    `<rect width="${side}" height="${side}" fill="#ffffff"/>` +
    `<path fill="#000000" d="${darkPath(matrix)}"/></svg>`;
}
