// The flow table: a header line with each column's sort key, then only the rows that fit
// (the caller passes the window). Each row is one pre-formatted line: cheap to render.
import { memo } from 'react';
import { Box, Text } from 'ink';
import { headerText, type LaidOutColumn } from '../../core/select/columns';
import { fit } from '../../core/select/format';
import type { SortSpec } from '../../core/select/sort';
import type { TableRow } from '../../core/select/rows';
import { useTheme } from '../theme';

export interface TableProps {
  columns: LaidOutColumn[];
  rows: readonly TableRow[]; // the visible slice only
  cursor: number; // index into `rows`, -1 for none
  sort: SortSpec;
  height: number; // lines available for rows
  width: number;
  empty: string; // what to say when there are no rows
}

export function Table({ columns, rows, cursor, sort, height, width, empty }: TableProps) {
  const theme = useTheme();
  const header = columns
    .map(({ column, width: w }) => {
      // The direction mark when there is room; the title line says it in any case.
      const text = headerText(column);
      const mark = column.id === sort.column ? (sort.descending ? '▼' : '▲') : '';
      return fit(text.length + mark.length <= w ? text + mark : text, w, column.align);
    })
    .join(' ');
  return (
    <Box flexDirection="column" width={width} height={height + 1}>
      <Text inverse wrap="truncate">{fit(header, width)}</Text>
      {rows.length === 0 ? <Text dimColor wrap="truncate">{empty}</Text> : null}
      {rows.map((row, i) => (
        <TableLine key={row.key} text={fit(formatRow(row, columns), width)} inverse={i === cursor} dim={theme.dim && row.state === 'CLOSED' && i !== cursor} />
      ))}
    </Box>
  );
}

/** One row's line. Rows whose text did not change since the last frame (most of them
 * from one interval to the next) are not rendered again by React. */
const TableLine = memo(function TableLine({ text, inverse, dim }: { text: string; inverse: boolean; dim: boolean }) {
  return <Text inverse={inverse} dimColor={dim} wrap="truncate">{text}</Text>;
});

export function formatRow(row: TableRow, columns: LaidOutColumn[]): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    const { column, width } = columns[i];
    if (i > 0) line += ' ';
    line += fit(column.format(row), width, column.align);
  }
  return line;
}
