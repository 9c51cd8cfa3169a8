// The bottom line: key hints from the key table, as many as fit; or a note (a recording
// saved, why live capture is not possible), which may take two lines, until the next key.
import { Box, Text } from 'ink';
import { footerHints, type Mode } from '../keymap';
import { useTheme } from '../theme';

/** Lines the footer takes: 1, or 2 for a note longer than the width. */
export function footerLines(note: string | undefined, width: number): number {
  return note && note.length > width ? 2 : 1;
}

export function Footer({ mode, width, note }: { mode: Mode; width: number; note?: string }) {
  const theme = useTheme();
  if (note && note.length > width) {
    return (
      <Box width={width} height={2} overflow="hidden">
        <Text wrap="wrap" dimColor>{note}</Text>
      </Box>
    );
  }
  const parts: Array<{ key: string; label: string }> = [];
  let used = note ? note.length + 2 : 0;
  for (const h of footerHints(mode)) {
    const len = h.key.length + 1 + h.label.length + 2;
    if (used + len > width) break;
    parts.push(h);
    used += len;
  }
  return (
    <Text wrap="truncate">
      {parts.map((h) => (
        <Text key={h.label}>
          <Text bold color={theme.accent}>{h.key}</Text> {h.label}{'  '}
        </Text>
      ))}
      {note ? <Text dimColor>{note}</Text> : null}
    </Text>
  );
}
