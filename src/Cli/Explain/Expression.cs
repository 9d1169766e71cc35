using System.Globalization;

namespace NativeFree.Cli.Explain;

/// <summary>A parsed expression: numbers, tensor literals, names, unary minus, binary operators and function calls.</summary>
public abstract record Expr(int Column);

/// <summary>A literal: a number or a nested-bracket tensor, flattened row-major with its shape.</summary>
public sealed record Literal(int Column, double[] Values, int[] Shape) : Expr(Column);

/// <summary>A named input, bound with <c>--set NAME=VALUE</c>.</summary>
public sealed record Name(int Column, string Id) : Expr(Column);

/// <summary>−operand.</summary>
public sealed record Negate(int Column, Expr Operand) : Expr(Column);

/// <summary>left op right, op one of <c>+ - * / ^ @</c>.</summary>
public sealed record Binary(int Column, char Op, Expr Left, Expr Right) : Expr(Column);

/// <summary>A function call such as <c>tanh(x)</c> or <c>max(a, b)</c>.</summary>
public sealed record Call(int Column, string Function, Expr[] Args) : Expr(Column);

/// <summary>A syntax error at a 1-based column, with the text and a caret under the column.</summary>
public sealed class ExpressionSyntaxException(string source, int column, string problem)
    : Exception($"syntax error at column {column}: {problem}\n  {source}\n  {new string(' ', Math.Max(column - 1, 0))}^")
{
    /// <summary>1-based column of the error.</summary>
    public int Column { get; } = column;
}

/// <summary>
/// Recursive descent over the grammar (lowest precedence first):
/// <code>
/// expr    := term (('+' | '-') term)*
/// term    := unary (('*' | '/' | '@') unary)*
/// unary   := '-' unary | power
/// power   := atom ('^' unary)?            (right-associative: 2^3^2 = 2^9)
/// atom    := number | tensor | name | name '(' expr (',' expr)* ')' | '(' expr ')'
/// tensor  := '[' item (',' item)* ']'    item := ['-'] number | tensor   (rectangular)
/// </code>
/// </summary>
public sealed class ExpressionParser
{
    private readonly string _s;
    private int _i;

    private ExpressionParser(string source) => _s = source;

    /// <summary>Parses a whole expression; throws <see cref="ExpressionSyntaxException"/> pointing at the column.</summary>
    public static Expr Parse(string source)
    {
        var p = new ExpressionParser(source);
        p.Skip();
        if (p.AtEnd) throw p.Error("empty expression");
        var e = p.ParseExpr();
        p.Skip();
        if (!p.AtEnd) throw p.Error($"unexpected '{p._s[p._i]}'");
        return e;
    }

    /// <summary>Parses a value for <c>--set</c>: an optionally negative number or a nested-bracket tensor.</summary>
    public static Literal ParseValue(string source)
    {
        var p = new ExpressionParser(source);
        p.Skip();
        var lit = p.Peek() == '[' ? p.ParseTensor() : p.ParseSignedNumber();
        p.Skip();
        if (!p.AtEnd) throw p.Error($"unexpected '{p._s[p._i]}' after the value");
        return lit;
    }

    private bool AtEnd => _i >= _s.Length;
    private char Peek() => AtEnd ? '\0' : _s[_i];
    private int Col => _i + 1;
    private ExpressionSyntaxException Error(string problem) => new(_s, Col, problem);
    private void Skip() { while (!AtEnd && char.IsWhiteSpace(_s[_i])) _i++; }

    private void Expect(char c)
    {
        Skip();
        if (Peek() != c) throw Error(AtEnd ? $"expected '{c}' but the expression ended" : $"expected '{c}' but found '{Peek()}'");
        _i++;
    }

    private Expr ParseExpr()
    {
        var left = ParseTerm();
        while (true)
        {
            Skip();
            char c = Peek();
            if (c is not ('+' or '-')) return left;
            int col = Col; _i++;
            left = new Binary(col, c, left, ParseTerm());
        }
    }

    private Expr ParseTerm()
    {
        var left = ParseUnary();
        while (true)
        {
            Skip();
            char c = Peek();
            if (c is not ('*' or '/' or '@')) return left;
            int col = Col; _i++;
            left = new Binary(col, c, left, ParseUnary());
        }
    }

    private Expr ParseUnary()
    {
        Skip();
        if (Peek() == '-') { int col = Col; _i++; return new Negate(col, ParseUnary()); }
        return ParsePower();
    }

    private Expr ParsePower()
    {
        var atom = ParseAtom();
        Skip();
        if (Peek() != '^') return atom;
        int col = Col; _i++;
        return new Binary(col, '^', atom, ParseUnary());
    }

    private Expr ParseAtom()
    {
        Skip();
        char c = Peek();
        int col = Col;
        if (AtEnd) throw Error("expected a number, a name, '(' or '[' but the expression ended");
        if (char.IsDigit(c) || c == '.') return ParseNumber();
        if (c == '[') return ParseTensor();
        if (c == '(')
        {
            _i++;
            var inner = ParseExpr();
            Expect(')');
            return inner;
        }
        if (char.IsLetter(c) || c == '_')
        {
            int start = _i;
            while (!AtEnd && (char.IsLetterOrDigit(_s[_i]) || _s[_i] == '_')) _i++;
            string id = _s[start.._i];
            Skip();
            if (Peek() != '(') return new Name(col, id);
            _i++;
            var args = new List<Expr> { ParseExpr() };
            Skip();
            while (Peek() == ',') { _i++; args.Add(ParseExpr()); Skip(); }
            Expect(')');
            return new Call(col, id, [.. args]);
        }
        throw Error($"unexpected '{c}'");
    }

    private Literal ParseSignedNumber()
    {
        Skip();
        int col = Col;
        bool neg = Peek() == '-';
        if (neg) _i++;
        var n = ParseNumber();
        return neg ? new Literal(col, [-n.Values[0]], []) : n;
    }

    private Literal ParseNumber()
    {
        Skip();
        int start = _i, col = Col;
        while (!AtEnd && (char.IsDigit(_s[_i]) || _s[_i] == '.')) _i++;
        if (!AtEnd && (_s[_i] == 'e' || _s[_i] == 'E'))
        {
            int save = _i++;
            if (!AtEnd && (_s[_i] == '+' || _s[_i] == '-')) _i++;
            if (AtEnd || !char.IsDigit(_s[_i])) _i = save;
            else while (!AtEnd && char.IsDigit(_s[_i])) _i++;
        }
        string text = _s[start.._i];
        if (text.Length == 0 || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
        {
            _i = start;
            throw Error(text.Length == 0 ? (AtEnd ? "expected a number but the expression ended" : $"expected a number but found '{Peek()}'") : $"'{text}' is not a number");
        }
        return new Literal(col, [v], []);
    }

    private Literal ParseTensor()
    {
        int col = Col;
        var values = new List<double>();
        var shape = ParseNested(values, depth: 0);
        return new Literal(col, [.. values], shape);
    }

    // Returns the shape of the bracketed block; every sibling must have the same shape.
    private int[] ParseNested(List<double> values, int depth)
    {
        if (depth > 32) throw Error("tensor literal nested too deeply");
        Expect('[');
        int[]? inner = null;
        int count = 0;
        Skip();
        if (Peek() == ']') throw Error("empty tensor literal");
        while (true)
        {
            Skip();
            int itemCol = Col;
            int[] shape = Peek() == '[' ? ParseNested(values, depth + 1) : Scalar(values);
            if (inner is null) inner = shape;
            else if (!inner.AsSpan().SequenceEqual(shape))
            {
                _i = itemCol - 1;
                throw Error($"ragged tensor literal: this element has shape [{string.Join(", ", shape)}], the first has [{string.Join(", ", inner)}]");
            }
            count++;
            Skip();
            if (Peek() == ',') { _i++; continue; }
            Expect(']');
            return [count, .. inner];
        }
    }

    private int[] Scalar(List<double> values)
    {
        values.Add(ParseSignedNumber().Values[0]);
        return [];
    }
}
