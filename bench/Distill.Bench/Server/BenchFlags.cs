using System.Globalization;

namespace Distill.Bench.Server;

/// <summary>"--name value" pairs of a benchmark's command line; every flag must be consumed, so a typo is an error.</summary>
public sealed class BenchFlags
{
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);

    public BenchFlags(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"expected --name value pairs, got '{args[i]}'");
            }
            values[args[i][2..]] = args[++i];
        }
    }

    public string? Text(string name) => values.Remove(name, out var value) ? value : null;

    public int Int(string name, int fallback) => Text(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public int? OptionalInt(string name) => Text(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : null;

    public long Long(string name, long fallback) => Text(name) is { } value ? long.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) => Text(name) is { } value ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;

    /// <summary>Throws when a flag was given that no option read.</summary>
    public void RequireAllRead()
    {
        if (values.Count > 0)
        {
            throw new ArgumentException($"unknown flags: {string.Join(", ", values.Keys.Select(k => "--" + k))}");
        }
    }
}
