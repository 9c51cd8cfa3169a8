// The `/` filter line: what is typed, how many flows match, and any parse error.
import { Text } from 'ink';
import type { Query } from '../../core/select/query';
import { useTheme } from '../theme';

export function FilterBar({ editing, query, matched, total }: { editing: boolean; query: Query; matched: number; total: number }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate">
      <Text bold color={theme.accent}>/</Text>
      {query.source}
      {editing ? <Text inverse> </Text> : null}
      <Text dimColor>  {matched}/{total} flows</Text>
      {query.errors.length > 0 ? <Text color={theme.warn}>  {query.errors[0]}</Text> : null}
    </Text>
  );
}
