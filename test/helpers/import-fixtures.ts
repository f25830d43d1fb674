// The first record of the committed import fixtures (test/fixtures/import), as the store keeps it.
export const ADA_IN_FIXTURES = {
  _id: 'nd-1',
  name: 'Ada',
  surname: 'Lovelace',
  age: 36,
  vector: [0.5, -1.25, 3, 0.25],
  favouriteEngine: 'analytical',
};
