// Process names and command lines can hold any byte, including terminal escape
// sequences: show control and non-printable characters as \xNN so a hostile
// name can neither forge rows nor drive the terminal.
export function safeText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\\\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) =>
    c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** Pad or cut to `width` columns (code points; good enough for names and addresses). */
export function fit(s: string, width: number, alignRight = false): string {
  const chars = [...s];
  if (chars.length > width) return `${chars.slice(0, width - 1).join('')}…`;
  const pad = ' '.repeat(width - chars.length);
  return alignRight ? pad + s : s + pad;
}
