/**
 * A faithful port of Go's text/tabwriter column-block algorithm (left aligned, space padding),
 * for output that mixes lines with different cell counts, as `kubectl describe` does. A cell is
 * text terminated by a tab; the text after a line's last tab is never padded; a column's width is
 * decided per block of consecutive lines that have that column.
 */

function runeWidth(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Aligns tab-separated `text` like `tabwriter.NewWriter(out, minWidth, 8, padding, ' ', 0)`. */
export function goTabwrite(text: string, minWidth: number, padding: number): string {
  const endsWithNewline = text.endsWith('\n');
  const lines = (endsWithNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  const widths: number[] = [];
  let out = '';
  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const line = lines[i] as string[];
      line.forEach((cell, j) => {
        out += cell;
        if (j < line.length - 1 && j < widths.length) {
          out += ' '.repeat(Math.max(0, (widths[j] as number) - runeWidth(cell)));
        }
      });
      out += '\n';
    }
  };
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    let start = line0;
    for (let row = line0; row < line1; row++) {
      if (column >= (lines[row] as string[]).length - 1) continue;
      writeLines(start, row);
      start = row;
      let width = minWidth;
      let end = row;
      for (; end < line1; end++) {
        const line = lines[end] as string[];
        if (column >= line.length - 1) break;
        width = Math.max(width, runeWidth(line[column] as string) + padding);
      }
      widths.push(width);
      format(start, end);
      widths.pop();
      start = end;
      row = end - 1;
    }
    writeLines(start, line1);
  };
  format(0, lines.length);
  return endsWithNewline ? out : out.slice(0, -1);
}
