using System.Text;
using Distill.Bench.Quality;

namespace Distill.Bench.Tests.Quality;

public sealed class QualityStoreTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("distill-quality-store-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private QualityStore Store() => new(Path.Combine(_folder, QualityStore.FileName));

    [Fact]
    public void Runs_read_back_as_appended()
    {
        QualityStore store = Store();
        QualityResult first = Runs.Make("kd", 1, perplexity: 111.25, note: "first");
        QualityResult diverged = Runs.Make("rkl", 2, perplexity: double.PositiveInfinity, kl: double.NaN);

        store.Append(first);
        store.Append(diverged);
        StoredRuns stored = Store().ReadAll();

        Assert.Empty(stored.Warnings);
        Assert.Equal(2, stored.Runs.Count);
        Assert.Equal(first, stored.Runs[0]);
        Assert.Equal(diverged.Pair, stored.Runs[1].Pair);
        Assert.True(double.IsPositiveInfinity(stored.Runs[1].ValidationPerplexity));
        Assert.True(double.IsNaN(stored.Runs[1].KlToTeacher));
        Assert.Equal(2, File.ReadAllLines(store.Path).Length);
    }

    [Fact]
    public void No_file_is_no_runs() => Assert.Empty(Store().ReadAll().Runs);

    [Fact]
    public void A_last_line_cut_short_is_ignored_with_a_warning_and_dropped_by_the_next_append()
    {
        QualityStore store = Store();
        store.Append(Runs.Make("kd", 1));
        store.Append(Runs.Make("kd", 2));
        byte[] content = File.ReadAllBytes(store.Path);
        int secondLine = Array.IndexOf(content, (byte)'\n') + 1;
        File.WriteAllBytes(store.Path, content[..(secondLine + (content.Length - secondLine) / 2)]);

        StoredRuns afterKill = store.ReadAll();
        Assert.Equal([new QualityPair("kd", 1)], afterKill.Runs.Select(run => run.Pair));
        string warning = Assert.Single(afterKill.Warnings);
        Assert.Contains("line 2", warning);

        store.Append(Runs.Make("kd", 3));
        StoredRuns afterAppend = store.ReadAll();
        Assert.Empty(afterAppend.Warnings);
        Assert.Equal([new QualityPair("kd", 1), new QualityPair("kd", 3)], afterAppend.Runs.Select(run => run.Pair));
    }

    [Fact]
    public void A_complete_last_run_without_its_newline_is_kept_and_completed()
    {
        QualityStore store = Store();
        store.Append(Runs.Make("kd", 1));
        File.WriteAllText(store.Path, File.ReadAllText(store.Path).TrimEnd('\n'));

        Assert.Single(store.ReadAll().Runs);
        store.Append(Runs.Make("kd", 2));
        Assert.Equal(2, store.ReadAll().Runs.Count);
    }

    [Fact]
    public void A_bad_line_before_the_last_is_an_error()
    {
        QualityStore store = Store();
        store.Append(Runs.Make("kd", 1));
        File.AppendAllText(store.Path, "{\"method\":\"kd\"\n", Encoding.UTF8);
        store.Append(Runs.Make("kd", 2));

        var error = Assert.Throws<InvalidDataException>(() => store.ReadAll());
        Assert.Contains("line 2", error.Message);
    }

    [Fact]
    public void Latest_keeps_the_last_run_of_each_pair()
    {
        IReadOnlyList<QualityResult> latest = StoredRuns.LatestOf(
        [
            Runs.Make("kd", 1, perplexity: 1),
            Runs.Make("kd", 2, perplexity: 2),
            Runs.Make("kd", 1, perplexity: 3),
        ]);

        Assert.Equal([(1, 3.0), (2, 2.0)], latest.Select(run => (run.Seed, run.ValidationPerplexity)));
    }
}
