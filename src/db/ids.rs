//! The database side of the row ids in `domain::ids`: each binds and reads as the
//! `BIGINT` key it wraps, on either backend, so queries, inserts and rows use the typed
//! id directly and a column of one table cannot silently take another table's id.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{BigInt, Nullable};

use crate::domain::ids::{
    ApiTokenId, AttendantId, DomainId, JobId, OptionId, PasskeyId, PhoneNumberId, QueueId,
    ResellerId, RingGroupId, SessionId, UserId,
};

macro_rules! sql_id {
    ($($name:ident),+) => {$(
        impl<DB: Backend> ToSql<BigInt, DB> for $name
        where
            i64: ToSql<BigInt, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_key().to_sql(out)
            }
        }

        /// For a nullable column (e.g. `outbox.user_id`) compared with many ids at once.
        impl<DB: Backend> ToSql<Nullable<BigInt>, DB> for $name
        where
            i64: ToSql<BigInt, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                ToSql::<BigInt, DB>::to_sql(self, out)
            }
        }

        impl<DB: Backend> FromSql<BigInt, DB> for $name
        where
            i64: FromSql<BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                i64::from_sql(bytes).map(Self::new)
            }
        }

        impl<DB: Backend> Queryable<BigInt, DB> for $name
        where
            Self: FromSql<BigInt, DB>,
        {
            type Row = Self;

            fn build(id: Self) -> deserialize::Result<Self> {
                Ok(id)
            }
        }

        /// Bound as the key it wraps.
        impl AsExpression<BigInt> for $name {
            type Expression = <i64 as AsExpression<BigInt>>::Expression;

            fn as_expression(self) -> Self::Expression {
                AsExpression::<BigInt>::as_expression(self.get())
            }
        }

        impl AsExpression<Nullable<BigInt>> for $name {
            type Expression = <i64 as AsExpression<Nullable<BigInt>>>::Expression;

            fn as_expression(self) -> Self::Expression {
                AsExpression::<Nullable<BigInt>>::as_expression(self.get())
            }
        }

        impl AsExpression<BigInt> for &$name {
            type Expression = <i64 as AsExpression<BigInt>>::Expression;

            fn as_expression(self) -> Self::Expression {
                AsExpression::<BigInt>::as_expression(self.get())
            }
        }

        impl AsExpression<Nullable<BigInt>> for &$name {
            type Expression = <i64 as AsExpression<Nullable<BigInt>>>::Expression;

            fn as_expression(self) -> Self::Expression {
                AsExpression::<Nullable<BigInt>>::as_expression(self.get())
            }
        }
    )+};
}

sql_id!(
    UserId,
    DomainId,
    ResellerId,
    JobId,
    SessionId,
    ApiTokenId,
    PhoneNumberId,
    AttendantId,
    OptionId,
    RingGroupId,
    QueueId,
    PasskeyId
);
