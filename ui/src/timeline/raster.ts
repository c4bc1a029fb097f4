// A tiny software rasteriser for the timeline's plot area. Thousands of marks
// as canvas fillRect calls cost more than the pixels they cover; filling rows
// of a Uint32Array and handing the canvas one putImageData does not.

export class PixelBuffer {
  readonly width: number;
  readonly height: number;
  readonly image: ImageData;
  readonly px: Uint32Array;

  constructor(width: number, height: number) {
    this.width = Math.max(1, width);
    this.height = Math.max(1, height);
    this.image = new ImageData(this.width, this.height);
    this.px = new Uint32Array(this.image.data.buffer);
  }

  /** Fill [x0, x1) x [y0, y1) in device pixels, clipped to the buffer. */
  fill(x0: number, y0: number, x1: number, y1: number, rgba: number): void {
    const xa = Math.max(0, Math.floor(x0));
    const xb = Math.min(this.width, Math.ceil(x1));
    const ya = Math.max(0, Math.floor(y0));
    const yb = Math.min(this.height, Math.ceil(y1));
    if (xa >= xb || ya >= yb) return;
    if (xa === 0 && xb === this.width) {
      this.px.fill(rgba, ya * this.width, yb * this.width);
      return;
    }
    for (let y = ya; y < yb; y++) this.px.fill(rgba, y * this.width + xa, y * this.width + xb);
  }
}

/** Fill [a, b) of a pixel row (device pixels), clipped. */
export function fillSpan(row: Uint32Array, a: number, b: number, rgba: number): void {
  const xa = Math.max(0, Math.floor(a));
  const xb = Math.min(row.length, Math.ceil(b));
  if (xb - xa > 24) row.fill(rgba, xa, xb);
  else for (let x = xa; x < xb; x++) row[x] = rgba;
}

/** Copy `row` into buffer rows [y0, y1) (device pixels), clipped. */
export function stampRows(buf: PixelBuffer, row: Uint32Array, y0: number, y1: number): void {
  const ya = Math.max(0, Math.round(y0));
  const yb = Math.min(buf.height, Math.round(y1));
  for (let y = ya; y < yb; y++) buf.px.set(row, y * buf.width);
}
