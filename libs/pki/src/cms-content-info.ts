import { AsnConvert } from '@peculiar/asn1-schema';
import * as cms from '@peculiar/asn1-cms';

const NAMES: Record<string, string> = { [cms.id_signedData]: 'SignedData', [cms.id_envelopedData]: 'EnvelopedData' };

/** DER ContentInfo around a SignedData or EnvelopedData. */
export function contentInfo(contentType: string, content: cms.SignedData | cms.EnvelopedData): Buffer {
  return Buffer.from(AsnConvert.serialize(new cms.ContentInfo({ contentType, content: AsnConvert.serialize(content) })));
}

/** The content of a ContentInfo of the expected type; throws a plain Error, for the caller to word its refusal. */
export function contentOf<T>(der: Buffer, contentType: string, schema: new () => T): T {
  const info = AsnConvert.parse(der, cms.ContentInfo);
  if (info.contentType !== contentType) throw new Error(`content type ${info.contentType} is not ${NAMES[contentType] ?? contentType}`);
  return AsnConvert.parse(info.content, schema);
}
