using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Training;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Distillation;

public sealed class TrainingCheckpointTests : IDisposable
{
    private readonly string _run = Directory.CreateTempSubdirectory("distill-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_run, recursive: true);

    private static readonly ModelConfig Config = Gpt2Config.Project(vocab: 16, context: 8, width: 16, layers: 1, heads: 2, dropout: 0.0);

    private static TrainingState State(int step) => new()
    {
        Step = step, DataCursor = step, Options = new DistillOptions { Student = Config }, RngState = TorchRandomState.Capture(),
    };

    /// <summary>A seeded model and its optimiser, checkpointed at step 6 in the run folder.</summary>
    private (CausalLm, AdamWOptimizer) SavedAtStep6()
    {
        manual_seed(1);
        CausalLm model = Config.CreateModel();
        AdamWOptimizer optimizer = AdamWFactory.Create(model, 1e-3, 0.1);
        TrainingCheckpoint.Save(_run, model, optimizer, State(6));
        return (model, optimizer);
    }

    [Fact]
    public void A_crash_while_writing_leaves_the_previous_checkpoint_loadable()
    {
        (CausalLm model, AdamWOptimizer optimizer) = SavedAtStep6();
        using var owned = model;
        using var ownedOptimizer = optimizer;
        float[] saved = model.parameters().First().data<float>().ToArray();

        // The process dies in the middle of writing step 12: a partial hidden folder is all that exists of it.
        string root = Path.Combine(_run, TrainingCheckpoint.Folder);
        string partial = Path.Combine(root, ".step-000012.0123.tmp");
        Directory.CreateDirectory(partial);
        File.WriteAllBytes(Path.Combine(partial, "model.safetensors"), [1, 2, 3]);
        // …or dies after renaming step 12 into place but before naming it latest.
        Directory.CreateDirectory(Path.Combine(root, "step-000012"));

        string located = TrainingCheckpoint.Locate(_run);
        Assert.Equal("step-000006", Path.GetFileName(located));
        Assert.Equal(6, TrainingCheckpoint.ReadState(located).Step);
        using var other = Config.CreateModel();
        using var otherOptimizer = AdamWFactory.Create(other, 1e-3, 0.1);
        TrainingCheckpoint.Restore(located, other, otherOptimizer);
        Assert.Equal(saved, other.parameters().First().data<float>().ToArray());
    }

    [Fact]
    public void Only_the_newest_checkpoints_are_kept_and_latest_names_the_newest()
    {
        using var model = Config.CreateModel();
        using var optimizer = AdamWFactory.Create(model, 1e-3, 0.1);
        foreach (int step in new[] { 2, 4, 6 }) TrainingCheckpoint.Save(_run, model, optimizer, State(step));
        string root = Path.Combine(_run, TrainingCheckpoint.Folder);
        Assert.Equal(["step-000004", "step-000006"], Directory.GetDirectories(root).Select(d => Path.GetFileName(d)!).Order().ToArray());
        Assert.Equal(6, TrainingCheckpoint.ReadState(TrainingCheckpoint.Locate(_run)).Step);
        Assert.Empty(Directory.GetDirectories(root, ".*"));
    }

    [Fact]
    public void Every_file_and_folder_of_a_checkpoint_is_flushed_before_it_is_moved_into_place_and_named_latest()
    {
        using var model = Config.CreateModel();
        using var optimizer = AdamWFactory.Create(model, 1e-3, 0.1);
        var files = new FaultyCheckpointFiles(_run);
        string final = TrainingCheckpoint.Save(_run, model, optimizer, State(6), folder => File.WriteAllText(Path.Combine(folder, "extra.json"), "{}"), files);

        string root = Path.GetFullPath(Path.Combine(_run, TrainingCheckpoint.Folder));
        int moved = files.Steps.FindIndex(s => s.Step == nameof(ICheckpointFiles.Move));
        string temporary = files.Steps[moved].Path;
        var flushedBefore = files.Steps.Take(moved).Where(s => s.Step == nameof(ICheckpointFiles.Flush)).Select(s => s.Path).ToHashSet();
        foreach (string file in Directory.GetFiles(final, "*", SearchOption.AllDirectories))
            Assert.Contains(Path.Combine(temporary, Path.GetRelativePath(final, file)), flushedBefore);
        Assert.Contains(temporary, flushedBefore);
        int rootFlushed = files.Steps.FindIndex(moved, s => s == (nameof(ICheckpointFiles.Flush), root));
        int named = files.Steps.FindIndex(s => s == (nameof(ICheckpointFiles.Replace), Path.Combine(root, TrainingCheckpoint.LatestFile)));
        Assert.InRange(rootFlushed, moved + 1, named - 1);
    }

    [Fact]
    public void Saving_a_step_again_replaces_it_while_latest_names_a_complete_checkpoint_throughout()
    {
        (CausalLm model, AdamWOptimizer optimizer) = SavedAtStep6();
        using var owned = model;
        using var ownedOptimizer = optimizer;
        using (no_grad()) model.parameters().First().add_(Scalars.One, Scalars.One);
        float[] changed = model.parameters().First().data<float>().ToArray();

        var files = new FaultyCheckpointFiles(_run);   // checks latest before and after every step
        string again = TrainingCheckpoint.Save(_run, model, optimizer, State(6), files: files);

        Assert.Equal(again, TrainingCheckpoint.Locate(_run));
        Assert.Contains(files.Steps, s => s.Step == nameof(ICheckpointFiles.Exchange));
        using var reloaded = ModelFolder.Load(again);
        Assert.Equal(changed, reloaded.parameters().First().data<float>().ToArray());
        Assert.Empty(Directory.GetDirectories(Path.Combine(_run, TrainingCheckpoint.Folder), ".*"));
    }

    [Fact]
    public void A_folder_without_a_checkpoint_is_a_clear_error()
    {
        var error = Assert.Throws<FileNotFoundException>(() => TrainingCheckpoint.Locate(_run));
        Assert.Contains("holds no checkpoint", error.Message);
    }
}
