using Distill.StudentTrainer.Export;

namespace Distill.StudentTrainer.Distillation;

/// <summary>The checkpoint's file-system steps on Linux: fsync, rename, renameat2's exchange, atomic replace.</summary>
public sealed class DurableCheckpointFiles : ICheckpointFiles
{
    public static readonly DurableCheckpointFiles Instance = new();

    private DurableCheckpointFiles() { }

    public void Flush(string path) => PosixFiles.Flush(path);

    public void Move(string folder, string destination) => Directory.Move(folder, destination);

    public void Exchange(string folder, string other) => PosixFiles.Exchange(folder, other);

    public void Replace(string path, byte[] contents) => AtomicFile.Write(path, stream => stream.Write(contents));

    public void Delete(string folder) => Directory.Delete(folder, recursive: true);
}
