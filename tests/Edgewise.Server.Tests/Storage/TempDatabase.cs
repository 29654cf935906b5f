using Edgewise.Server.Storage;
using Microsoft.Data.Sqlite;

namespace Edgewise.Server.Tests.Storage;

/// <summary>A database file in a fresh temporary directory, removed afterwards.</summary>
internal sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("edgewise-storage-").FullName;
        Path = System.IO.Path.Combine(Directory, "edgewise.db");
    }

    public string Directory { get; }

    public string Path { get; }

    public StorageOptions Options => new() { DatabasePath = Path };

    public Task<SqliteDatabase> OpenAsync() => SqliteDatabase.OpenAsync(Options, TestContext.Current.CancellationToken);

    /// <summary>A raw connection that bypasses the store (to tamper with the file as an attacker would).</summary>
    public SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ConnectionString);
        connection.Open();
        return connection;
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
