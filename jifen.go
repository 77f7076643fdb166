// Package jifen holds the domain of a points-based performance management
// scheme (积分绩效管理): members, ledger entries, periods and the application
// error type. It depends on nothing but the standard library; the rule
// catalog (rules), the bbolt store (store), the command core (bot) and the
// platform adapters (bot/slack, bot/feishu, bot/console) all build on it.
package jifen
