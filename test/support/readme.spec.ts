import { fillPlaceholders, placeholders, splitCommands } from './readme';

describe('README example reader', () => {
  it('splits commands as a shell does', () => {
    const text = [
      'KEY=$(grep MDM_API_KEY .mdm/local.env | cut -d= -f2)',
      '# a comment line',
      'curl -X POST localhost:8080/v1/profiles -H "Authorization: Bearer $KEY" \\',
      "     -d '{\"name\": \"Passcode\",",
      "          \"payloads\": [\"#not a comment\"]}'",
      'npx mdmctl events tail --type \'command.*\' --once     # follows without --once',
      '',
    ].join('\n');
    expect(splitCommands(text)).toEqual([
      'KEY=$(grep MDM_API_KEY .mdm/local.env | cut -d= -f2)',
      'curl -X POST localhost:8080/v1/profiles -H "Authorization: Bearer $KEY" -d \'{"name": "Passcode",\n          "payloads": ["#not a comment"]}\'',
      "npx mdmctl events tail --type 'command.*' --once",
    ]);
  });

  it('fills placeholders and names the ones it has no value for', () => {
    expect(placeholders('curl /v1/profiles/<profileId>/assignments -d \'{"udids": ["<UDID>"]}\' <UDID>')).toEqual(['profileId', 'UDID']);
    expect(fillPlaceholders('x/<id>/<UDID>', { id: '1', UDID: 'D' })).toBe('x/1/D');
    expect(() => fillPlaceholders('x/<id>/<commandUuid>', { id: '1' })).toThrow(/no value for <commandUuid>/);
  });
});
