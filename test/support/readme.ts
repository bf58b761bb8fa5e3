import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A fenced code block of a Markdown file, with the `##` section it sits in. */
export interface CodeBlock {
  section: string;
  lang: string;
  /** The first line of the block in the file (1-based), so a failing test can point at it. */
  line: number;
  text: string;
}

/**
 * The fenced code blocks of a Markdown file (the repository's README by default), so tests can run
 * exactly what the docs tell a reader to type and the docs cannot drift from the code.
 */
export function codeBlocks(file = path.join(__dirname, '../../README.md')): CodeBlock[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  let section = '';
  let open: CodeBlock | undefined;
  lines.forEach((line, i) => {
    const fence = /^```(\S*)/.exec(line);
    if (open) {
      if (fence) {
        blocks.push(open);
        open = undefined;
      } else {
        open.text += `${line}\n`;
      }
    } else if (fence) {
      open = { section, lang: fence[1] ?? '', line: i + 2, text: '' };
    } else if (line.startsWith('## ')) {
      section = line.slice(3).trim();
    }
  });
  return blocks;
}

/**
 * The shell commands of one README section, as a shell reads them: comments dropped, `\` continuations
 * joined, and a quoted string that spans lines (a JSON body) kept inside its command.
 */
export function sectionCommands(section: string, file?: string): string[] {
  return codeBlocks(file)
    .filter((b) => b.section === section && b.lang === 'sh')
    .flatMap((b) => splitCommands(b.text));
}

/** Splits shell text into commands at newlines outside quotes, dropping `#` comments and joining `\` continuations. */
export function splitCommands(text: string): string[] {
  const commands: string[] = [];
  let current = '';
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === '\\' && quote === '"') {
        current += ch + (text[++i] ?? '');
        continue;
      }
      if (ch === quote) quote = undefined;
      current += ch;
    } else if (ch === '\\' && text[i + 1] === '\n') {
      if (!/\s$/.test(current)) current += ' ';
      i++;
      while (text[i + 1] === ' ') i++;
    } else if (ch === '\\') {
      current += ch + (text[++i] ?? '');
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      current += ch;
    } else if (ch === '#' && (current === '' || /\s$/.test(current))) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (ch === '\n') {
      commands.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  commands.push(current.trim());
  return commands.filter((c) => c.length > 0);
}

/** Placeholders of the docs' examples: a name of letters and digits in angle brackets (`<UDID>`, `<commandUuid>`). */
const PLACEHOLDER = /<([A-Za-z][A-Za-z0-9]*)>/g;

/** The placeholders a command uses, in order of first use. */
export function placeholders(command: string): string[] {
  return [...new Set([...command.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** The command with each placeholder replaced by its value; throws naming any that has none. */
export function fillPlaceholders(command: string, values: Readonly<Record<string, string>>): string {
  const missing = placeholders(command).filter((name) => values[name] === undefined);
  if (missing.length) throw new Error(`no value for ${missing.map((m) => `<${m}>`).join(', ')} in: ${command}`);
  return command.replace(PLACEHOLDER, (_all, name: string) => values[name]!);
}
