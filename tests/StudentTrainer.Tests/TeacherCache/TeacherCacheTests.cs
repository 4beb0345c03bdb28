using Distill.Shared.Wire;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.TeacherCache;
using Distill.StudentTrainer.Tests.Distillation;
using Distill.StudentTrainer.Tests.Training;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.TeacherCache;

/// <summary>
/// Teacher answers computed once and read back: a run on a float32 cache has the live run's losses, a float16 one
/// nearly; parts computed apart make one cache; what a cache cannot answer is refused in one line.
/// </summary>
public sealed class TeacherCacheTests : IDisposable
{
    private static readonly Lazy<CausalLm> TeacherModel = new(DistillationTrainerTests.TrainedTeacher);
    private static readonly ModelConfig StudentConfig = Gpt2Config.Project(vocab: 16, context: 16, width: 16, layers: 1, heads: 2, dropout: 0.0);
    private static readonly TokenStream TrainTokens = DistillationTrainerTests.Pattern(2000, 2);
    private static readonly EvaluationSet Evaluation = new(DistillationTrainerTests.Pattern(400, 3), 15, 6, 4, 0, 4);

    private readonly string _root = Directory.CreateTempSubdirectory("distill-teacher-cache-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static DistillOptions Options(int steps = 8, int seed = 5) => new()
    {
        Student = StudentConfig, Steps = steps, BatchSize = 4, GradientAccumulation = 2, SequenceLength = 15,
        PeakLearningRate = 3e-3, FinalLearningRate = 3e-4, WarmupSteps = 2, TopK = 5, Divergence = DivergenceKind.Fkl,
        Lambda = 0.7, EvalInterval = 100, CheckpointInterval = 100, Seed = seed,
    };

    private static TeacherCacheRun RunOf(DistillOptions options) => new(TrainTokens, options, Evaluation, 4, 8);

    private string Precompute(string name, LogprobPrecision precision, DistillOptions? options = null, int shards = 1)
    {
        string folder = Path.Combine(_root, name);
        var teacher = new LocalGptTeacher(TeacherModel.Value);
        for (int shard = 0; shard < shards; shard++)
            TeacherCachePrecompute.Run(teacher, RunOf(options ?? Options()), folder, shard, shards, precision);
        return folder;
    }

    private List<(int Step, double Loss)> Train(DistillOptions options, Distill.StudentTrainer.Teacher.ITeacher teacher, string name)
    {
        var losses = new LossRecorder();
        new DistillationTrainer(options, losses) { LogInterval = 1 }.Run(new DistillRunContext(TrainTokens, Path.Combine(_root, name), CPU, teacher));
        return losses.Losses;
    }

    [Fact]
    public void A_run_on_a_float32_cache_has_the_losses_of_the_live_run()
    {
        List<(int, double)> live = Train(Options(), new LocalGptTeacher(TeacherModel.Value), "live");
        using var cached = new CachedTeacher(TeacherCacheReader.Open(Precompute("f32", LogprobPrecision.Float32)));

        Assert.Equal(8, live.Count);
        Assert.Equal(live, Train(Options(), cached, "cached"));
    }

    [Fact]
    public void A_run_of_two_epochs_reads_a_cache_of_one_and_has_the_losses_of_the_live_run_of_two()
    {
        DistillOptions twoEpochs = Options(steps: 16) with { EpochSteps = 8 };
        List<(int, double)> live = Train(twoEpochs, new LocalGptTeacher(TeacherModel.Value), "live");
        using var cached = new CachedTeacher(TeacherCacheReader.Open(Precompute("one-epoch", LogprobPrecision.Float32)));

        cached.Check(RunOf(twoEpochs));
        Assert.Equal(16, live.Count);
        Assert.Equal(live, Train(twoEpochs, cached, "cached"));
        Assert.NotEqual(live.Take(8).Select(l => l.Item2), live.Skip(8).Select(l => l.Item2));
    }

    [Fact]
    public void A_float16_cache_gives_losses_within_a_thousandth_and_a_third_of_the_bytes_a_position_at_k_64()
    {
        List<(int Step, double Loss)> live = Train(Options(), new LocalGptTeacher(TeacherModel.Value), "live");
        using var cached = new CachedTeacher(TeacherCacheReader.Open(Precompute("f16", LogprobPrecision.Float16)));
        List<(int Step, double Loss)> fromCache = Train(Options(), cached, "cached");

        Assert.NotEqual(live, fromCache);
        Assert.All(live.Zip(fromCache), p => Assert.Equal(p.First.Loss, p.Second.Loss, p.First.Loss * 1e-3));
        // uint16 ids and float16 log-probs: 2k + 2(k + 1) bytes a position, plus a header per sequence.
        Assert.InRange(cached.Manifest.BytesPerPosition, 4 * 5 + 2, 4 * 5 + 8);
        Assert.InRange(TopKBinaryCodec.BytesPerPosition(64, LogprobPrecision.Float16, IdWidth.UInt16), 0, 4 * 64 + 8);
    }

    [Fact]
    public void Parts_computed_apart_answer_as_one_cache_and_a_missing_part_is_named()
    {
        string whole = Precompute("whole", LogprobPrecision.Float32);
        string parts = Precompute("parts", LogprobPrecision.Float32, shards: 3);
        using var one = TeacherCacheReader.Open(whole);
        using (var three = TeacherCacheReader.Open(parts))
        {
            Assert.Equal(one.Manifest.Sequences, three.Manifest.Sequences);
            foreach (TopKRequest request in Enumerable.Range(0, 16).Select(n => new TopKRequest(RunOf(Options()).InputsOf(n), 5, 1f)))
                foreach (int[] sequence in request.Sequences)
                    Assert.Equal(one.TryRead(sequence, 5, 1f)!.Logprobs, three.TryRead(sequence, 5, 1f)!.Logprobs);
        }

        File.Delete(Path.Combine(parts, "part-001-of-003.json"));
        var error = Assert.Throws<InvalidDataException>(() => TeacherCacheReader.Open(parts));
        Assert.Contains("lacks part(s) 1 of 3", error.Message);
    }

    [Fact]
    public async Task A_run_that_differs_from_the_cached_one_is_refused_saying_how()
    {
        using var cached = new CachedTeacher(TeacherCacheReader.Open(Precompute("f16", LogprobPrecision.Float16)));

        cached.Check(RunOf(Options()));
        cached.Check(RunOf(Options(steps: 6)));
        cached.Check(new TeacherCacheRun(TrainTokens, Options(), Evaluation, 3, 8));
        Assert.Contains("seed 5, the run draws those of --seq-len 15 --batch-size 4 --grad-accum 2 --seed 6",
            Assert.Throws<InvalidOperationException>(() => cached.Check(RunOf(Options(seed: 6)))).Message);
        Assert.Contains("it covers the batches of 8 steps, the run draws those of 9", Assert.Throws<InvalidOperationException>(() => cached.Check(RunOf(Options(steps: 9)))).Message);
        Assert.Contains("it holds k = 5 at τ = 1, the run asks k = 6",
            Assert.Throws<InvalidOperationException>(() => cached.Check(RunOf(Options() with { TopK = 6 }))).Message);
        Assert.Contains("other training tokens", Assert.Throws<InvalidOperationException>(() =>
            cached.Check(new TeacherCacheRun(DistillationTrainerTests.Pattern(2000, 9), Options(), Evaluation, 4, 8))).Message);
        Assert.Contains("evaluation requests differ", Assert.Throws<InvalidOperationException>(() =>
            cached.Check(new TeacherCacheRun(TrainTokens, Options(), Evaluation, 4, 6))).Message);

        var missing = await Assert.ThrowsAsync<TeacherCacheMissException>(() => cached.TopKAsync(new TopKRequest([[1, 2, 3]], 5, 1f), CancellationToken.None));
        Assert.DoesNotContain('\n', missing.Message);
    }

    [Fact]
    public async Task The_evaluation_windows_and_generate_answers_are_in_part_zero()
    {
        var live = new LocalGptTeacher(TeacherModel.Value);
        string folder = Path.Combine(_root, "with-generate");
        var generate = new GenerateRequest([[3, 8, 1], [9, 4, 2]], MaxNewTokens: 4, Temperature: 1f, Seed: 3);
        using (var writer = new TeacherCacheWriter(folder, 0, 1, LogprobPrecision.Float32, IdWidth.UInt16))
        {
            writer.Add(generate, await live.GenerateAsync(generate, CancellationToken.None));
            TopKRequest window = RunOf(Options()).EvaluationRequests[0];
            writer.Add(window, await live.TopKAsync(window, CancellationToken.None));
            writer.Complete(new TeacherCacheManifest
            {
                Teacher = live.Model, K = 5, Temperature = 1f, Precision = LogprobPrecision.Float32, Ids = IdWidth.UInt16, Data = RunOf(Options()).Data,
                Shard = 0, Shards = 1,
            });
        }
        using var cached = new CachedTeacher(TeacherCacheReader.Open(folder));

        TopKRequest asked = RunOf(Options()).EvaluationRequests[0];
        Assert.Equal(8, asked.K);
        TopKResult expected = await live.TopKAsync(asked, CancellationToken.None);
        TopKResult answer = await cached.TopKAsync(asked, CancellationToken.None);
        Assert.Equal(expected.Sequences.Select(s => s.Logprobs), answer.Sequences.Select(s => s.Logprobs));
        Assert.Equal(expected.Sequences.Select(s => s.NextTokenLogprobs), answer.Sequences.Select(s => s.NextTokenLogprobs));
        Assert.Equal((await live.GenerateAsync(generate, CancellationToken.None)).Completions.Select(c => c.Tokens),
            (await cached.GenerateAsync(generate, CancellationToken.None)).Completions.Select(c => c.Tokens));
        await Assert.ThrowsAsync<TeacherCacheMissException>(() => cached.GenerateAsync(generate with { Seed = 4 }, CancellationToken.None));
    }

    [Fact]
    public void Damaged_files_are_refused_naming_the_cache()
    {
        string folder = Precompute("damaged", LogprobPrecision.Float16);
        string index = Path.Combine(folder, "part-000-of-001.index");
        byte[] bytes = File.ReadAllBytes(index);
        File.WriteAllBytes(index, bytes[..^3]);
        Assert.Contains("not the", Assert.Throws<InvalidDataException>(() => TeacherCacheReader.Open(folder)).Message);

        File.WriteAllBytes(index, bytes);
        string answers = Path.Combine(folder, "part-000-of-001.answers");
        File.WriteAllBytes(answers, File.ReadAllBytes(answers)[..1000]);
        using var reader = TeacherCacheReader.Open(folder);
        int[] last = RunOf(Options()).InputsOf(15)[3];
        Assert.Throws<InvalidDataException>(() => reader.TryRead(last, 5, 1f));
    }
}
