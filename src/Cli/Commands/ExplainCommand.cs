using System.Text;
using NativeFree.Autograd;
using NativeFree.Cli.Explain;

namespace NativeFree.Cli.Commands;

/// <summary><c>nativefree explain "EXPR" [--set NAME=VALUE]... [--dot FILE] [--json]</c>: autodiff narrated step by step.</summary>
public sealed class ExplainCommand : ICommand
{
    public string Name => "explain";
    public string Summary => "evaluate an expression and narrate its forward and backward passes";
    public string Help =>
        "usage: nativefree explain \"EXPR\" [--set NAME=VALUE]... [--dot FILE] [--json]\n\n" +
        "Evaluates EXPR in float64 with reverse-mode autodiff and prints the forward pass node by node\n" +
        "(op, shape, value), the backward pass node by node (the adjoint arriving at each node and the\n" +
        "rule that produced the gradients of its inputs), and the gradient of the output with respect to\n" +
        "every named input (a non-scalar output is summed first).\n\n" +
        "EXPR: numbers, tensors like [[1,2],[3,4]], names bound with --set, + - * / ^, @ (matmul),\n" +
        "      exp log sqrt abs tanh sigmoid relu gelu softplus sin cos erf,\n" +
        "      sum mean max min logsumexp softmax transpose, max(a,b)/min(a,b) elementwise.\n" +
        "--set NAME=VALUE  binds an input (a number or a nested-bracket tensor); repeat per input\n" +
        "--dot FILE        writes the graph as Graphviz DOT (render: dot -Tsvg FILE)\n" +
        "--json            prints one JSON object {\"value\": …, \"gradients\": {name: …}}\n\n" +
        "example: nativefree explain \"sum(tanh(W @ x))\" --set W=[[1,2],[3,4]] --set x=[0.5,-1]";

    public int Run(string[] args, TextWriter stdout)
    {
        var cli = new CliArgs(args, new HashSet<string> { "--json" });
        bool json = cli.Flag("--json");
        string? dot = cli.Get("--dot");
        var sets = new List<KeyValuePair<string, string>>();
        foreach (var s in cli.GetAll("--set"))
        {
            int eq = s.IndexOf('=');
            if (eq <= 0) throw new CliException($"--set expects NAME=VALUE, got '{s}'");
            sets.Add(new(s[..eq].Trim(), s[(eq + 1)..]));
        }
        cli.RejectUnknown();
        if (cli.Positional.Count != 1)
            throw new CliException(cli.Positional.Count == 0 ? "missing the expression, e.g. nativefree explain \"x*x\" --set x=3" : $"expected one expression (quote it), got {cli.Positional.Count} words");

        var result = Explainer.Run(cli.Positional[0], sets);
        if (dot is not null) File.WriteAllText(dot, GraphExport.ToDot(result.Loss, "explain"));
        if (json)
        {
            var sb = new StringBuilder("{\"value\": ").Append(Explainer.Json(result.Output.Value)).Append(", \"gradients\": {");
            bool first = true;
            foreach (var (name, g) in result.Gradients)
            {
                if (!first) sb.Append(", ");
                first = false;
                sb.Append('"').Append(name).Append("\": ").Append(Explainer.Json(g));
            }
            stdout.WriteLine(sb.Append("}}").ToString());
        }
        else stdout.Write(result.Narration);
        return 0;
    }
}
