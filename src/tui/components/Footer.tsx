// The bottom line: key hints from the key table, as many as fit.
import { Text } from 'ink';
import { footerHints, type Mode } from '../keymap';
import { useTheme } from '../theme';

export function Footer({ mode, width, note }: { mode: Mode; width: number; note?: string }) {
  const theme = useTheme();
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
