namespace Distill.StudentTrainer.Training;

/// <summary>Command-line names of an enum's values: the value names in lower case, parsed case-insensitively.</summary>
public static class EnumNames<TEnum> where TEnum : struct, Enum
{
    /// <summary>Every valid name, in the enum's order.</summary>
    public static IReadOnlyList<string> All { get; } = Enum.GetValues<TEnum>().Select(ToName).ToArray();

    public static string ToName(TEnum value) =>
        Enum.IsDefined(value)
            ? value.ToString().ToLowerInvariant()
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"not a {typeof(TEnum).Name} value");

    /// <summary>The value named <paramref name="name"/>; an unknown name throws an <see cref="ArgumentException"/> listing the valid ones.</summary>
    /// <param name="what">How the message names the option, e.g. "divergence".</param>
    public static TEnum Parse(string name, string what)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (TEnum value in Enum.GetValues<TEnum>())
        {
            if (string.Equals(ToName(value), name.Trim(), StringComparison.OrdinalIgnoreCase)) return value;
        }
        throw new ArgumentException($"unknown {what} '{name}'; valid: {string.Join(", ", All)}");
    }
}
