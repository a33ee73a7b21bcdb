/**
 * What the command policy knows about a shell command, independent of the parser that produced it: the
 * units the shell would run (simple commands, and statements that carry something the policy must rule on),
 * the constructs inside them, and problems that make the parse untrustworthy.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data";
/**
 * The command is not valid shell syntax; `message` says where and near what.
 *
 * @since 0.1.0
 * @category errors
 */
export class ShellSyntaxError extends Data.TaggedError("ShellSyntaxError") {
}
