using System.Globalization;
using Distill.Bench.Server;

namespace Distill.Bench.Quality;

/// <summary>The options of <c>quality [--methods a,b,…] [--seeds 1,2,3] [--results folder] [--force] [--dry-run]</c>.</summary>
/// <param name="Methods">Methods to run, in the order given (all of <see cref="QualityMethods"/> by default).</param>
/// <param name="Seeds">Seeds to run each method with (1, 2, 3 by default).</param>
/// <param name="ResultsFolder">Where the store, the report and the chart are (bench/results by default).</param>
/// <param name="Force">Run the pairs again even when stored.</param>
/// <param name="DryRun">Only print the pairs that would run.</param>
public sealed record QualityArgs(IReadOnlyList<string> Methods, IReadOnlyList<int> Seeds, string ResultsFolder, bool Force, bool DryRun)
{
    public const string DefaultResultsFolder = "bench/results";

    public static IReadOnlyList<int> DefaultSeeds { get; } = [1, 2, 3];

    /// <exception cref="ArgumentException">An unknown flag, an unknown or repeated method, or a seed that is not a non-negative integer.</exception>
    public static QualityArgs Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        bool force = args.Contains("--force");
        bool dryRun = args.Contains("--dry-run");
        var flags = new BenchFlags([.. args.Where(arg => arg is not ("--force" or "--dry-run"))]);
        IReadOnlyList<string> methods = flags.Text("methods") is { } methodList ? ParseMethods(methodList) : QualityMethods.Names;
        IReadOnlyList<int> seeds = flags.Text("seeds") is { } seedList ? ParseSeeds(seedList) : DefaultSeeds;
        string results = flags.Text("results") ?? DefaultResultsFolder;
        flags.RequireAllRead();
        return new QualityArgs(methods, seeds, results, force, dryRun);
    }

    private static IReadOnlyList<string> ParseMethods(string text)
    {
        string[] methods = Items(text, "--methods");
        foreach (string method in methods)
        {
            if (!QualityMethods.IsKnown(method))
                throw new ArgumentException($"unknown method '{method}' in --methods; the methods are {string.Join(", ", QualityMethods.Names)}");
        }
        return methods;
    }

    private static IReadOnlyList<int> ParseSeeds(string text)
    {
        string[] items = Items(text, "--seeds");
        var seeds = new int[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            if (!int.TryParse(items[i], NumberStyles.None, CultureInfo.InvariantCulture, out seeds[i]))
                throw new ArgumentException($"seed '{items[i]}' in --seeds is not a non-negative integer");
        }
        if (seeds.Distinct().Count() < seeds.Length) throw new ArgumentException($"--seeds '{text}' names a seed twice");
        return seeds;
    }

    /// <summary>The comma-separated items of a list flag: none empty, none repeated.</summary>
    private static string[] Items(string text, string flag)
    {
        string[] items = [.. text.Split(',').Select(item => item.Trim())];
        if (items.Any(item => item.Length == 0)) throw new ArgumentException($"{flag} '{text}' has an empty item");
        if (items.GroupBy(item => item).FirstOrDefault(group => group.Count() > 1) is { } repeated)
            throw new ArgumentException($"{flag} names '{repeated.Key}' twice");
        return items;
    }
}
