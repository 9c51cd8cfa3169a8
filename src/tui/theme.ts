// Colours, or none: NO_COLOR (https://no-color.org) turns every colour off. Emphasis that
// is not colour (bold, inverse for the cursor) stays, so the screen remains usable.
import { createContext, useContext } from 'react';

export interface Theme {
  accent: string | undefined; // titles, mode badge
  warn: string | undefined; // lost/evicted when non-zero, errors
  rec: string | undefined; // the recording indicator
  dim: boolean; // closed flows are dimmed
}

export function makeTheme(noColor: boolean): Theme {
  return noColor
    ? { accent: undefined, warn: undefined, rec: undefined, dim: true }
    : { accent: 'cyan', warn: 'yellow', rec: 'red', dim: true };
}

/** NO_COLOR set to anything non-empty disables colour. */
export function noColorFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return typeof env.NO_COLOR === 'string' && env.NO_COLOR !== '';
}

export const ThemeContext = createContext<Theme>(makeTheme(false));
export const useTheme = (): Theme => useContext(ThemeContext);
