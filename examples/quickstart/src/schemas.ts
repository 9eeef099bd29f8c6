/** The Avro schema the quickstart publishes, and the two changes it tries. */
export const ORDER_V1 = {
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
} as const;

const withField = (field: object) => ({ ...ORDER_V1, fields: [...ORDER_V1.fields, field] });

/** A new field without a default: a new reader cannot read orders written with v1. */
export const ORDER_INCOMPATIBLE = withField({ name: 'currency', type: 'string' });

/** The same field with a default: old orders read as EUR, so the change is additive. */
export const ORDER_COMPATIBLE = withField({ name: 'currency', type: 'string', default: 'EUR' });
