using System.Text.Json;
using Distill.StudentTrainer.Evaluation;

namespace Distill.StudentTrainer.Tests.Evaluation;

public sealed class MetricsLogTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("distill-metrics-").FullName;

    private string LogPath => MetricsLog.PathIn(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A clock that moves only when told to.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(double seconds) => _ticks += (long)(seconds * TimeSpan.TicksPerSecond);
    }

    [Fact]
    public void Records_read_back_exactly_including_non_finite_values()
    {
        double[] values = [0.1 + 0.2, -3.5e-300, 1.7976931348623157e308, double.NaN, double.PositiveInfinity, double.NegativeInfinity];
        using (var log = MetricsLog.Open(_folder))
        {
            log.Append(7, MetricsRecord.Train, values.Select((v, i) => new KeyValuePair<string, double>($"v{i}", v)));
            log.Append(8, MetricsRecord.Eval, ("perplexity", 42.25));
        }

        IReadOnlyList<MetricsRecord> records = MetricsLog.ReadAll(_folder);
        Assert.Equal(2, records.Count);
        Assert.Equal(7, records[0].Step);
        Assert.Equal(MetricsRecord.Train, records[0].Kind);
        Assert.Equal([.. values.Select((_, i) => $"v{i}")], records[0].Values.Keys);
        Assert.Equal(values, records[0].Values.Values);
        Assert.Equal(MetricsRecord.Eval, records[1].Kind);
        Assert.Equal(42.25, records[1].Get("perplexity"));
        Assert.Null(records[1].Get("loss"));
    }

    [Fact]
    public void Each_record_is_one_json_object_per_line_with_non_finite_values_as_strings()
    {
        using (var log = MetricsLog.Open(_folder))
        {
            log.Append(1, MetricsRecord.Train, ("loss", 2.5), ("ce", double.NaN));
            log.Append(2, MetricsRecord.Train, ("loss", double.PositiveInfinity));
        }

        string[] lines = File.ReadAllLines(LogPath);
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal(1, first.RootElement.GetProperty("step").GetInt64());
        Assert.Equal("train", first.RootElement.GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Number, first.RootElement.GetProperty("time").ValueKind);
        Assert.Equal(2.5, first.RootElement.GetProperty("loss").GetDouble());
        Assert.Equal("NaN", first.RootElement.GetProperty("ce").GetString());
        using var second = JsonDocument.Parse(lines[1]);
        Assert.Equal("Infinity", second.RootElement.GetProperty("loss").GetString());
    }

    [Fact]
    public void Each_record_is_in_the_file_before_the_log_is_closed()
    {
        using var log = MetricsLog.Open(_folder);
        log.Append(1, MetricsRecord.Train, ("loss", 1.0));
        Assert.Single(MetricsLog.ReadAll(_folder));
        log.Append(2, MetricsRecord.Train, ("loss", 0.5));
        Assert.Equal([1L, 2L], MetricsLog.ReadAll(_folder).Select(r => r.Step));
    }

    [Fact]
    public void Time_is_seconds_since_start_and_continues_after_a_resume()
    {
        var clock = new ManualClock();
        using (var log = MetricsLog.Open(_folder, clock))
        {
            clock.Advance(1.5);
            Assert.Equal(1.5, log.Append(1, MetricsRecord.Train, ("loss", 1.0)).Time, 9);
            clock.Advance(2.0);
            log.Append(2, MetricsRecord.Train, ("loss", 0.9));
        }
        var later = new ManualClock();
        later.Advance(1000);
        using (var log = MetricsLog.Open(_folder, later))
        {
            later.Advance(0.25);
            log.Append(3, MetricsRecord.Train, ("loss", 0.8));
        }

        Assert.Equal([1.5, 3.5, 3.75], MetricsLog.ReadAll(_folder).Select(r => Math.Round(r.Time, 9)));
    }

    [Fact]
    public void Truncate_after_a_step_drops_later_records_so_a_resumed_log_has_no_duplicates()
    {
        using (var log = MetricsLog.Open(_folder))
        {
            for (int step = 0; step <= 10; step++)
            {
                log.Append(step, MetricsRecord.Train, ("loss", 10 - step));
                if (step % 5 == 0) log.Append(step, MetricsRecord.Eval, ("perplexity", 100 - step));
            }
        }

        Assert.Equal(6, MetricsLog.TruncateAfter(_folder, 5));   // train 6..10 and eval 10
        using (var log = MetricsLog.Open(_folder))
        {
            for (int step = 6; step <= 7; step++) log.Append(step, MetricsRecord.Train, ("loss", 0));
        }

        long[] trainSteps = [.. MetricsLog.ReadAll(_folder).Where(r => r.Kind == MetricsRecord.Train).Select(r => r.Step)];
        Assert.Equal([0L, 1, 2, 3, 4, 5, 6, 7], trainSteps);
        Assert.Equal([0L, 5], MetricsLog.ReadAll(_folder).Where(r => r.Kind == MetricsRecord.Eval).Select(r => r.Step));
        Assert.Equal([MetricsLog.FileName], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void A_line_cut_short_by_a_crash_is_ignored_and_removed_on_open()
    {
        using (var log = MetricsLog.Open(_folder))
        {
            log.Append(1, MetricsRecord.Train, ("loss", 1.0));
            log.Append(2, MetricsRecord.Train, ("loss", 0.9));
        }
        File.AppendAllText(LogPath, "{\"step\":3,\"kind\":\"tr");

        Assert.Equal([1L, 2], MetricsLog.ReadAll(_folder).Select(r => r.Step));
        using (var log = MetricsLog.Open(_folder))
        {
            log.Append(3, MetricsRecord.Train, ("loss", 0.8));
        }
        Assert.Equal([1L, 2, 3], MetricsLog.ReadAll(_folder).Select(r => r.Step));
        Assert.Equal(3, File.ReadAllLines(LogPath).Length);
    }

    [Fact]
    public void A_complete_last_record_without_its_newline_is_kept()
    {
        File.WriteAllText(LogPath, "{\"step\":4,\"kind\":\"eval\",\"time\":2,\"kl_teacher\":0.5}");
        Assert.Single(MetricsLog.ReadAll(_folder));
        using (var log = MetricsLog.Open(_folder))
        {
            log.Append(5, MetricsRecord.Train, ("loss", 1.0));
        }
        Assert.Equal([4L, 5], MetricsLog.ReadAll(_folder).Select(r => r.Step));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"kind\":\"train\",\"time\":1}")]
    [InlineData("{\"step\":1,\"kind\":\"train\",\"time\":1,\"loss\":\"high\"}")]
    [InlineData("{\"step\":1,\"kind\":\"train\",\"time\":1,\"loss\":1,\"loss\":2}")]
    [InlineData("{\"step\":1.5,\"kind\":\"train\",\"time\":1}")]
    public void A_bad_line_before_the_last_is_reported_with_its_line_number(string bad)
    {
        File.WriteAllText(LogPath, "{\"step\":1,\"kind\":\"train\",\"time\":1,\"loss\":1}\n" + bad + "\n");
        var error = Assert.Throws<InvalidDataException>(() => MetricsLog.ReadAll(_folder));
        Assert.Contains("line 2", error.Message);
    }

    [Fact]
    public void Bad_metric_names_and_steps_are_refused()
    {
        using var log = MetricsLog.Open(_folder);
        Assert.Throws<ArgumentException>(() => log.Append(1, MetricsRecord.Train, ("time", 1.0)));
        Assert.Throws<ArgumentException>(() => log.Append(1, MetricsRecord.Train, ("loss", 1.0), ("loss", 2.0)));
        Assert.Throws<ArgumentException>(() => log.Append(1, MetricsRecord.Train, ("", 1.0)));
        Assert.Throws<ArgumentException>(() => log.Append(1, " ", ("loss", 1.0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Append(-1, MetricsRecord.Train, ("loss", 1.0)));
        Assert.Empty(MetricsLog.ReadAll(_folder));
    }

    [Fact]
    public void A_missing_log_reads_empty_and_truncates_nothing()
    {
        string missing = Path.Combine(_folder, "no-run-here");
        Assert.Empty(MetricsLog.ReadAll(missing));
        Assert.Equal(0, MetricsLog.TruncateAfter(missing, 3));
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public void A_closed_log_refuses_appends()
    {
        var log = MetricsLog.Open(_folder);
        log.Dispose();
        Assert.Throws<ObjectDisposedException>(() => log.Append(1, MetricsRecord.Train, ("loss", 1.0)));
    }
}
