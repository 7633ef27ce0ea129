/**
 * Demographic normalization and scoring (src/identity/demographics.ts).
 */
import test from 'ava';
import { agrees, birthDateScore, compareDemographics, foldText, nameScore, normalizeName } from '../../src/identity/demographics.js';

const name = (text: string) => normalizeName(text)!;

test('folding strips accents, case, apostrophes and punctuation, and spells out ligatures', (t) => {
  t.is(foldText('Müller-Lüdenscheidt'), 'muller ludenscheidt');
  t.is(foldText("  O'Brien ,  Seán  "), 'obrien sean');
  t.is(foldText('Straße Ærø'), 'strasse aero');
});

test('PN: the first non-empty component group, family and given/middle components; prefix and suffix ignored', (t) => {
  t.deepEqual(name('Müller^Jürgen^Karl^Dr.^MD=ミュラー^ユルゲン'), { family: 'muller', given: ['jurgen', 'karl'], words: ['muller', 'jurgen', 'karl'], structured: true });
  t.deepEqual(name('=山田^太郎'), { family: '山田', given: ['太郎'], words: ['山田', '太郎'], structured: true });
  t.deepEqual(name('van der Berg^Anna'), { family: 'vanderberg', given: ['anna'], words: ['van', 'der', 'berg', 'anna'], structured: true });
  t.is(normalizeName('^^^'), undefined);
  t.is(normalizeName(''), undefined);
});

test('plain text: "Family, Given" is structured, "Given Family" is read as words', (t) => {
  t.deepEqual(name('Smith, John'), { family: 'smith', given: ['john'], words: ['smith', 'john'], structured: true });
  t.deepEqual(name('John Smith'), { family: 'smith', given: ['john'], words: ['john', 'smith'], structured: false });
});

test('name score: equal names 1; accents and case do not matter; plain text equal words 0.95', (t) => {
  t.is(nameScore(name('MULLER^JURGEN'), name('Müller^Jürgen')), 1);
  t.is(nameScore(name('Smith^John'), name('Smith, John')), 1);
  t.is(nameScore(name('John Smith'), name('SMITH^JOHN')), 0.95);
});

test('name score: partial credit for the family name with other, initial or missing given names, and for swapped components', (t) => {
  t.is(nameScore(name('Smith^John^Paul'), name('Smith^John')), 0.9);
  t.is(nameScore(name('Smith^J'), name('Smith^John')), 0.8);
  t.is(nameScore(name('Smith'), name('Smith^John')), 0.7);
  t.is(nameScore(name('Smith^Mary'), name('Smith^John')), 0.4);
  t.is(nameScore(name('John^Smith'), name('Smith^John')), 0.85);
  t.is(nameScore(name('Doe^Jane'), name('Smith^John')), 0);
});

test('birth date score: equal 1, swapped month and day or one digit off 0.5, else 0', (t) => {
  t.is(birthDateScore('19610203', '19610203'), 1);
  t.is(birthDateScore('19610203', '19610302'), 0.5);
  t.is(birthDateScore('19610203', '19610208'), 0.5);
  t.is(birthDateScore('19610203', '19720203'), 0);
});

test('score: weighted over name 0.5, birth date 0.35, sex 0.15', (t) => {
  const ehr = { name: 'Smith^John', birthDate: '19700101', sex: 'M' as const };
  t.deepEqual(compareDemographics(ehr, { name: 'SMITH^JOHN', birthDate: '19700101', sex: 'M' }), { score: 1, fields: { name: 1, birthDate: 1, sex: 1 } });
  t.deepEqual(compareDemographics(ehr, { name: 'Doe^Jane', birthDate: '19850505', sex: 'F' }), { score: 0, fields: { name: 0, birthDate: 0, sex: 0 } });
  // Right name and sex, another birth date: 0.5 + 0.15 = 0.65, below the default threshold 0.75.
  const other = compareDemographics(ehr, { name: 'Smith^John', birthDate: '19850505', sex: 'M' });
  t.is(other.score, 0.65);
  t.false(agrees(other, 0.75));
  t.true(agrees(compareDemographics(ehr, { name: 'Smith^J', birthDate: '19700101', sex: 'M' }), 0.75));
});

test('score: unknown fields are left out and the weights renormalized; nothing comparable gives no score (agrees)', (t) => {
  t.deepEqual(compareDemographics({ birthDate: '19700101' }, { name: 'Doe^Jane', birthDate: '19700101' }), { score: 1, fields: { birthDate: 1 } });
  const nameOnly = compareDemographics({ name: 'Smith^Mary', sex: 'F' }, { name: 'Smith^John' });
  t.deepEqual(nameOnly, { score: 0.4, fields: { name: 0.4 } });
  const none = compareDemographics({ name: 'Smith^John' }, { birthDate: '19700101' });
  t.deepEqual(none, { fields: {} });
  t.true(agrees(none, 0.75));
  t.deepEqual(compareDemographics(undefined, { name: 'X' }), { fields: {} });
});
