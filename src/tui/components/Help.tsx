// The help screen, generated from the same key table that handles input.
import { Box, Text } from 'ink';
import { bindingsFor, keyLabel, SECTION_TITLE, type Mode, type Section } from '../keymap';
import { fit } from '../../core/select/format';
import { useTheme } from '../theme';

/** Lines of the help screen; exported so the App can clamp the scroll offset. */
export function helpLines(mode: Mode, width: number): Array<{ title?: string; keys?: string; text?: string }> {
  const lines: Array<{ title?: string; keys?: string; text?: string }> = [];
  const bindings = bindingsFor(mode);
  const sections = [...new Set(bindings.map((b) => b.section))] as Section[];
  for (const section of sections) {
    const inSection = bindings.filter((b) => b.section === section);
    lines.push({ title: SECTION_TITLE[section] });
    if (section === 'sort') {
      // One compact line per few columns: the sort keys are many and short.
      const items = inSection.map((b) => `${keyLabel(b.keys[0])} ${b.help.replace(/^sort by (\S+);.*/, '$1')}`);
      let cur = '';
      for (const it of items) {
        if (cur && cur.length + it.length + 3 > width - 2) {
          lines.push({ text: cur });
          cur = '';
        }
        cur += (cur ? '   ' : '') + it;
      }
      if (cur) lines.push({ text: cur });
      lines.push({ text: 'the same key again inverts the order' });
      continue;
    }
    for (const b of inSection) lines.push({ keys: b.keys.map(keyLabel).join(' '), text: b.help });
  }
  return lines;
}

export function Help({ mode, width, height, offset }: { mode: Mode; width: number; height: number; offset: number }) {
  const theme = useTheme();
  const lines = helpLines(mode, width);
  const room = Math.max(0, height - 1);
  const start = Math.max(0, Math.min(offset, lines.length - room));
  const more = start + room < lines.length;
  const title = ` Help: keys${more || start > 0 ? ' (↑/↓ scroll)' : ''}; any other key closes`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold inverse>{fit(title, width)}</Text>
      {lines.slice(start, start + room).map((l, i) =>
        l.title ? (
          <Text key={i} bold color={theme.accent} wrap="truncate">{l.title}</Text>
        ) : l.keys !== undefined ? (
          <Text key={i} wrap="truncate">  <Text bold>{fit(l.keys, 14)}</Text> {l.text}</Text>
        ) : (
          <Text key={i} wrap="truncate">  {l.text}</Text>
        ),
      )}
    </Box>
  );
}
