using System.Globalization;
using System.Text.Json;
using NativeFree.Cli;
using NativeFree.Cli.Commands;
using Xunit;

namespace NativeFree.Autograd.Tests;

public class ExplainCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = NativeFree.Cli.Cli.Run(args, [new ExplainCommand()], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Json_output_has_the_value_and_the_gradient_of_every_input()
    {
        // f = sum(tanh(W @ x)); df/dx = Wᵀ(1 − tanh²(Wx)), df/dW = (1 − tanh²(Wx)) xᵀ
        var (code, output, err) = Run("explain", "sum(tanh(W @ x))", "--set", "W=[[1,2],[3,4]]", "--set", "x=[0.5,-1]", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        double[] h = [Math.Tanh(0.5 - 2), Math.Tanh(1.5 - 4)];
        Assert.Equal(h[0] + h[1], doc.RootElement.GetProperty("value").GetDouble(), 12);
        var gx = doc.RootElement.GetProperty("gradients").GetProperty("x").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double d0 = 1 - h[0] * h[0], d1 = 1 - h[1] * h[1];
        Assert.Equal(1 * d0 + 3 * d1, gx[0], 12);
        Assert.Equal(2 * d0 + 4 * d1, gx[1], 12);
        var gw = doc.RootElement.GetProperty("gradients").GetProperty("W");
        Assert.Equal(-1 * d1, gw[1][1].GetDouble(), 12);
    }

    [Fact]
    public void Narration_shows_forward_nodes_backward_adjoints_with_rules_and_gradients()
    {
        var (code, output, _) = Run("explain", "x*x + sin(x)", "--set", "x=2");
        Assert.Equal(0, code);
        Assert.Contains("forward pass", output);
        Assert.Contains("input x", output);
        Assert.Contains("mul(%0, %0)", output);
        Assert.Contains("backward pass", output);
        Assert.Contains("rule: da = g*b, db = g*a", output);
        Assert.Contains("rule: dx = g*cos(x)", output);
        string expected = (2 * 2 + Math.Cos(2)).ToString("G6", CultureInfo.InvariantCulture);
        Assert.Contains($"d/dx = {expected}", output);
    }

    [Fact]
    public void A_non_scalar_output_is_summed_and_its_value_reported_unsummed()
    {
        var (code, output, _) = Run("explain", "x ^ 3 - [1, 1]", "--set", "x=[1,2]", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal([0.0, 7.0], doc.RootElement.GetProperty("value").EnumerateArray().Select(e => e.GetDouble()).ToArray());
        Assert.Equal([3.0, 12.0], doc.RootElement.GetProperty("gradients").GetProperty("x").EnumerateArray().Select(e => e.GetDouble()).ToArray());
    }

    [Fact]
    public void Precedence_and_associativity_follow_mathematics()
    {
        // -x^2 = -(x^2); 2^3^2 = 2^9; a - b - c = (a - b) - c; softmax/logsumexp/mean/transpose parse and run.
        Assert.Contains("\"value\": -9", Run("explain", "-x^2", "--set", "x=3", "--json").Out);
        Assert.Contains("\"value\": 512", Run("explain", "2^3^2", "--json").Out);
        Assert.Contains("\"value\": -4", Run("explain", "1 - 2 - 3", "--json").Out);
        var (code, _, err) = Run("explain", "logsumexp(softmax(transpose(A) @ v)) + mean(max(A, 0.5)) - min(gelu(v)) + max(v)", "--set", "A=[[1,2],[3,4]]", "--set", "v=[1,-1]");
        Assert.True(code == 0, err);
    }

    [Fact]
    public void Syntax_errors_point_at_the_column_with_a_caret()
    {
        var (code, output, err) = Run("explain", "x + (y * ", "--set", "x=1", "--set", "y=2");
        Assert.NotEqual(0, code);
        Assert.Equal("", output);
        Assert.Contains("syntax error at column 10", err);
        var lines = err.Split('\n');
        int caretLine = Array.FindIndex(lines, l => l.TrimEnd().EndsWith('^'));
        Assert.True(caretLine > 0, err);
        Assert.Equal(lines[caretLine - 1].IndexOf('x') + 9, lines[caretLine].IndexOf('^'));
        Assert.DoesNotContain("   at ", err); // no stack trace
    }

    [Fact]
    public void Unknown_names_are_reported_with_how_to_define_them()
    {
        var (code, _, err) = Run("explain", "x + z", "--set", "x=1");
        Assert.NotEqual(0, code);
        Assert.Contains("unknown name 'z' at column 5", err);
        Assert.Contains("--set z=VALUE", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void Shape_mismatches_are_reported_with_both_shapes_and_no_stack_trace()
    {
        var (code, _, err) = Run("explain", "a @ b", "--set", "a=[[1,2],[3,4]]", "--set", "b=[1,2,3]");
        Assert.NotEqual(0, code);
        Assert.Contains("[2, 2]", err);
        Assert.Contains("[3]", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void Bad_set_values_and_ragged_tensors_are_rejected()
    {
        var (code, _, err) = Run("explain", "x", "--set", "x=[[1,2],[3]]");
        Assert.NotEqual(0, code);
        Assert.Contains("ragged", err);
        Assert.NotEqual(0, Run("explain", "x", "--set", "x").Code);
        Assert.NotEqual(0, Run("explain", "x", "--set", "x=1", "--set", "x=2").Code);
    }

    [Fact]
    public void Dot_option_writes_a_graphviz_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"explain-{Guid.NewGuid():N}.dot");
        try
        {
            var (code, _, err) = Run("explain", "exp(x) * y", "--set", "x=1", "--set", "y=[1,2]", "--dot", path);
            Assert.True(code == 0, err);
            string dot = File.ReadAllText(path);
            Assert.StartsWith("digraph", dot);
            Assert.Contains("exp", dot);
            Assert.Contains("\"x []\"", dot);
        }
        finally { File.Delete(path); }
    }
}
