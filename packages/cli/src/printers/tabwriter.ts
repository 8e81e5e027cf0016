/**
 * A port of the part of Go's text/tabwriter kubectl uses (minwidth 6, padding 3, pad with spaces,
 * RememberWidths): cells are padded to the widest cell of their column plus three spaces; the last
 * cell of a line is never padded. Widths are per block of lines flushed together; with `remember`
 * a later flush reuses the first widths (so `get -w` rows line up with the header, and a longer
 * cell just pushes the rest of its row right, exactly as kubectl does).
 */

/** Go tabwriter parameters used by kubectl's printers. */
export const TAB_MIN_WIDTH = 6;
/** Spaces added after the widest cell of a column. */
export const TAB_PADDING = 3;

function width(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Column-aligning writer; `format` returns the aligned text of the rows given. */
export class TabWriter {
  private widths: number[] = [];
  private readonly remember: boolean;

  constructor(options: { remember?: boolean } = {}) {
    this.remember = options.remember ?? false;
  }

  /** Aligns `rows` (each a list of cells) into lines, each ending in a newline. */
  format(rows: readonly (readonly string[])[]): string {
    const columns = Math.max(0, ...rows.map((r) => r.length - 1));
    const widths = this.remember ? this.widths : [];
    for (let c = widths.length; c < columns; c++) {
      let w = TAB_MIN_WIDTH;
      for (const row of rows) {
        if (c < row.length - 1) w = Math.max(w, width(row[c] ?? '') + TAB_PADDING);
      }
      widths.push(w);
    }
    if (this.remember) this.widths = widths;
    let out = '';
    for (const row of rows) {
      for (let c = 0; c < row.length; c++) {
        const cell = row[c] ?? '';
        out += cell;
        if (c < row.length - 1) out += ' '.repeat(Math.max(0, (widths[c] ?? TAB_MIN_WIDTH) - width(cell)));
      }
      out += '\n';
    }
    return out;
  }
}

/** Aligns one table in a single block. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  return new TabWriter().format(rows);
}
