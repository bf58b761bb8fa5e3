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

/** The shell commands of one README section, comments dropped and `\` continuations joined. */
export function sectionCommands(section: string, file?: string): string[] {
  return codeBlocks(file)
    .filter((b) => b.section === section && b.lang === 'sh')
    .flatMap((b) => b.text.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l.length > 0);
}
