//! The database side of [`Scope`]: bound as its rank (`users.scope`, an `INTEGER`) on
//! either backend, so insert rows carry the typed scope and no code passes a bare rank.
//! Reading goes through `From<i32>`, the one place an unknown rank is decided.

use diesel::expression::AsExpression;
use diesel::sql_types::Integer;

use crate::domain::Scope;

impl AsExpression<Integer> for Scope {
    type Expression = <i32 as AsExpression<Integer>>::Expression;

    fn as_expression(self) -> Self::Expression {
        AsExpression::<Integer>::as_expression(self.rank())
    }
}

impl AsExpression<Integer> for &Scope {
    type Expression = <i32 as AsExpression<Integer>>::Expression;

    fn as_expression(self) -> Self::Expression {
        AsExpression::<Integer>::as_expression(self.rank())
    }
}
